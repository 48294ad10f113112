package dev.permafrost.train;

import dev.permafrost.network.Gradients;
import dev.permafrost.network.Network;
import dev.permafrost.ps.rpc.Messages;
import dev.permafrost.ps.rpc.ParameterClient;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.shard.TrainableLayout;

import java.util.Map;

/**
 * One worker's part of an epoch against the parameter service: pull the current version, then per step compute the
 * minibatch gradient, push only the trainable shards' sums and get the next version back. A worker that joins
 * mid-epoch (a resubmitted task) continues at the server's step. Its push carries the fingerprints of all its frozen
 * copies on every step divisible by {@code auditEvery} (every step by default) and on its first and last push, and the
 * server compares them with the canonical ones.
 */
public final class RemoteWorker {

    /** What one worker did in one task. */
    public record Report(int worker, int firstStep, int steps, long bytesPushed, int audits) implements java.io.Serializable {
    }

    private RemoteWorker() {
    }

    /** Runs one worker's part of an epoch; {@code taskAttempt} is Spark's restart count of the stage (0 outside Spark). */
    public static Report runEpoch(Network network, ShardLayout layout, EpochSpec spec, WorkerBatches batches, int worker, int taskAttempt,
                                  ParameterClient client, String executor) {
        int phase = spec.phase();
        long epochStartVersion = spec.epochStartVersion();
        int auditEvery = spec.auditEvery();
        TrainableLayout trainable = TrainableLayout.of(layout);
        Messages.TrainableValues current = client.pull(new Messages.Pull(worker, spec.submission(), phase, executor));
        write(network, trainable, current.values());
        int first = Math.toIntExact(current.version() - epochStartVersion);
        if (first < 0 || first > batches.steps()) {
            throw new IllegalStateException("worker " + worker + ": the server is at version " + current.version()
                    + ", outside this epoch (starts at " + epochStartVersion + ", " + batches.steps() + " steps)");
        }
        long bytes = 0;
        int audits = 0;
        for (int step = first; step < batches.steps(); step++) {
            Gradients g = network.gradient(batches.batch(step));
            long number = current.version() + 1; // the step this push is for, counted over the whole run as the server does
            boolean audit = step == first || step == batches.steps() - 1 || auditEvery <= 1 || number % auditEvery == 0;
            Map<Integer, Long> fingerprints = audit ? Fingerprint.ofFrozen(network.paramsView(), layout) : Map.of();
            if (audit) audits++;
            float[] sums = trainable.gather(g.flat());
            bytes += 4L * sums.length;
            current = client.push(new Messages.Push(worker, spec.submission(), taskAttempt, current.version(), phase, g.samples(), g.lossSum(),
                    executor, fingerprints, sums));
            write(network, trainable, current.values());
        }
        return new Report(worker, first, batches.steps() - first, bytes, audits);
    }

    /** Writes the trainable shards' values, packed in trainable-layout order, into the network; frozen ranges are never touched. */
    static void write(Network network, TrainableLayout trainable, float[] packed) {
        trainable.requireLength(packed, "the server's answer");
        trainable.scatter(packed, (shard, values, from) -> network.writeRange(shard.start(), values, from, shard.length()));
    }
}
