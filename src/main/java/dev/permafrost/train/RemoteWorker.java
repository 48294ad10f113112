package dev.permafrost.train;

import dev.permafrost.network.Gradients;
import dev.permafrost.ps.StepTimes;
import dev.permafrost.ps.rpc.Messages;
import dev.permafrost.ps.rpc.ParameterClient;
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

    /** What one worker did in one task, and where its time went. */
    public record Report(int worker, String executor, WorkerDevice device, int firstStep, int steps, long bytesPushed, int audits, StepTimes times)
            implements java.io.Serializable {
    }

    private RemoteWorker() {
    }

    /** Runs one worker's part of an epoch; {@code taskAttempt} is Spark's restart count of the stage (0 outside Spark). */
    public static Report runEpoch(WorkerNetwork network, EpochSpec spec, WorkerBatches batches, int worker, int taskAttempt,
                                  ParameterClient client, String executor, WorkerDevice device) {
        int phase = spec.phase();
        long epochStartVersion = spec.epochStartVersion();
        int auditEvery = spec.auditEvery();
        TrainableLayout trainable = TrainableLayout.of(network.layout());
        StepTimes.Clock clock = new StepTimes.Clock();
        long t = System.nanoTime();
        Messages.TrainableValues current = client.pull(new Messages.Pull(worker, spec.submission(), phase, executor));
        network.writeTrainable(trainable, current.values());
        t = clock.lap(StepTimes.Part.PULL, t);
        int first = Math.toIntExact(current.version() - epochStartVersion);
        if (first < 0 || first > batches.steps()) {
            throw new IllegalStateException("worker " + worker + ": the server is at version " + current.version()
                    + ", outside this epoch (starts at " + epochStartVersion + ", " + batches.steps() + " steps)");
        }
        long bytes = 0;
        int audits = 0;
        for (int step = first; step < batches.steps(); step++) {
            Gradients g = network.gradient(batches.batch(step));
            t = clock.lap(StepTimes.Part.FORWARD_BACKWARD, t);
            long number = current.version() + 1; // the step this push is for, counted over the whole run as the server does
            boolean audit = step == first || step == batches.steps() - 1 || dev.permafrost.ps.FingerprintAudit.required(auditEvery, number);
            Map<Integer, Long> fingerprints = audit ? network.frozenFingerprints() : Map.of();
            if (audit) audits++;
            t = clock.lap(StepTimes.Part.FINGERPRINT, t);
            var header = new Messages.PushHeader(worker, spec.submission(), taskAttempt, current.version(), phase, g.samples(), g.lossSum(),
                    executor, fingerprints);
            byte[] push = Messages.encode(header, trainable.elements(), out -> network.copyGradients(g, trainable, out));
            bytes += push.length;
            t = clock.lap(StepTimes.Part.ENCODE, t);
            current = client.push(push);
            t = clock.lap(StepTimes.Part.PUSH_ROUND_TRIP, t);
            network.writeTrainable(trainable, current.values());
            t = clock.lap(StepTimes.Part.WRITE_VALUES, t);
            clock.countStep();
        }
        return new Report(worker, executor, device, first, batches.steps() - first, bytes, audits, clock.total());
    }
}
