package dev.permafrost.ps;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the time of a run's steps went, summed over {@code steps} steps: nanoseconds per {@link Part}. The driver and
 * every worker keep their own; they add up across tasks and submissions with {@link #plus}.
 */
public record StepTimes(long steps, long[] nanos) implements Serializable {

    /** The parts of a step, on the side that measures them. */
    public enum Part {
        /** Worker: the pull at the start of a task. */
        PULL("pull"),
        /** Worker: DL4J's forward and backward pass over the minibatch. */
        FORWARD_BACKWARD("forward/backward"),
        /** Worker: the push message, straight from DL4J's gradient view. */
        ENCODE("encode"),
        /** Worker: from sending the push to holding the next version's values (includes the driver's share). */
        PUSH_ROUND_TRIP("push round trip"),
        /** Worker: the answer's values into the network's parameters. */
        WRITE_VALUES("write values"),
        /** Worker: the frozen copies' fingerprints. */
        FINGERPRINT("fingerprint"),
        /** Driver: from a step's first push to its last. */
        WAIT_FOR_WORKERS("wait for workers"),
        /** Driver: summing the pushes. */
        SUM("sum"),
        /** Driver: the shards' transforms (the optimizer and running statistics). */
        OPTIMIZER("optimizer"),
        /** Driver: the answer message. */
        ENCODE_ANSWER("encode answer"),
        /** Driver, in the step: the progress listener and taking a checkpoint's snapshot. */
        CHECKPOINT_SNAPSHOT("progress and checkpoint snapshot"),
        /** Driver, on the writer thread: writing checkpoints (training does not wait for it). */
        CHECKPOINT_WRITE("checkpoint write");

        private final String label;

        Part(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public static final StepTimes NONE = new StepTimes(0, new long[Part.values().length]);

    public StepTimes {
        if (nanos.length != Part.values().length) throw new IllegalArgumentException("one total per part is needed");
        nanos = nanos.clone();
    }

    public long nanos(Part part) {
        return nanos[part.ordinal()];
    }

    /** Milliseconds per step of {@code part}; 0 with no steps. */
    public double millisPerStep(Part part) {
        return steps == 0 ? 0 : nanos(part) / 1e6 / steps;
    }

    /** Milliseconds per step of every part that took any time, in part order: what metrics.json records. */
    public Map<String, Double> millisPerStep() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Part p : Part.values()) {
            if (nanos(p) > 0) out.put(p.label(), Math.round(millisPerStep(p) * 1000) / 1000.0);
        }
        return out;
    }

    public StepTimes plus(StepTimes other) {
        long[] sum = nanos.clone();
        for (int i = 0; i < sum.length; i++) sum[i] += other.nanos[i];
        return new StepTimes(steps + other.steps, sum);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StepTimes t && t.steps == steps && Arrays.equals(t.nanos, nanos);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(steps) * 31 + Arrays.hashCode(nanos);
    }

    @Override
    public String toString() {
        return "StepTimes[steps=" + steps + ", ms/step=" + millisPerStep() + "]";
    }

    /** A running total, for one thread at a time (callers that share one synchronize on it). */
    public static final class Clock {
        private final long[] nanos = new long[Part.values().length];
        private long steps;

        public void add(Part part, long nanoseconds) {
            nanos[part.ordinal()] += nanoseconds;
        }

        /** Adds the time since {@code since} (a {@link System#nanoTime()}) to {@code part} and returns now. */
        public long lap(Part part, long since) {
            long now = System.nanoTime();
            nanos[part.ordinal()] += now - since;
            return now;
        }

        public void countStep() {
            steps++;
        }

        public StepTimes total() {
            return new StepTimes(steps, nanos);
        }
    }
}
