package dev.permafrost.train;

import dev.permafrost.ps.rpc.Messages;
import dev.permafrost.ps.rpc.ParameterClient;
import dev.permafrost.shard.Fingerprint;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One worker's part of an epoch against the parameter service: pull the current version, then per step compute the
 * minibatch gradient, push only the trainable shards' sums and get the next version back. A worker that joins
 * mid-epoch (a resubmitted task) continues at the server's step. Its frozen copies are fingerprinted on its first
 * push, every {@code auditEvery} steps and on its last push, and the server compares them with the canonical ones.
 */
public final class RemoteWorker {

    /** What one worker did in one task. */
    public record Report(int worker, int firstStep, int steps, long bytesPushed, int audits) implements java.io.Serializable {
    }

    private RemoteWorker() {
    }

    public static Report runEpoch(Network network, WorkerModel.Shards shards, EpochTask task, WorkerBatches batches, int worker,
                                  ParameterClient client, String executor) {
        int phase = task.phase();
        long epochStartVersion = task.epochStartVersion();
        int auditEvery = task.auditEvery();
        Messages.State state = client.pull(new Messages.Pull(worker, task.attempt(), phase, executor));
        write(network, shards, state.values());
        int first = Math.toIntExact(state.version() - epochStartVersion);
        if (first < 0 || first > batches.steps()) {
            throw new IllegalStateException("worker " + worker + ": the server is at version " + state.version()
                    + ", outside this epoch (starts at " + epochStartVersion + ", " + batches.steps() + " steps)");
        }
        long bytes = 0;
        int audits = 0;
        for (int step = first; step < batches.steps(); step++) {
            Gradients g = network.gradient(batches.batch(step));
            boolean audit = step == first || step == batches.steps() - 1 || (auditEvery > 0 && (step + 1) % auditEvery == 0);
            Map<Integer, Long> fps = audit ? fingerprints(network.paramsCopy(), shards) : Map.of();
            if (audit) audits++;
            float[] sums = trainableSlices(g.flat(), shards);
            bytes += 4L * sums.length;
            state = client.push(new Messages.Push(worker, task.attempt(), state.version(), phase, g.samples(), g.lossSum(), executor, fps, sums));
            write(network, shards, state.values());
        }
        return new Report(worker, first, batches.steps() - first, bytes, audits);
    }

    /** Writes the trainable shards' values, in layout order; frozen ranges are never touched. */
    static void write(Network network, WorkerModel.Shards shards, float[] values) {
        int at = 0;
        for (int i = 0; i < shards.count(); i++) {
            if (shards.frozen()[i]) continue;
            float[] v = java.util.Arrays.copyOfRange(values, at, at + shards.lengths()[i]);
            network.writeRange(Math.toIntExact(shards.offsets()[i]), v);
            at += v.length;
        }
        if (at != values.length) {
            throw new IllegalStateException("the server sent " + values.length + " trainable values; this worker's layout holds " + at);
        }
    }

    static float[] trainableSlices(float[] flat, WorkerModel.Shards shards) {
        float[] out = new float[shards.trainableElements()];
        int at = 0;
        for (int i = 0; i < shards.count(); i++) {
            if (shards.frozen()[i]) continue;
            System.arraycopy(flat, Math.toIntExact(shards.offsets()[i]), out, at, shards.lengths()[i]);
            at += shards.lengths()[i];
        }
        return out;
    }

    static Map<Integer, Long> fingerprints(float[] flat, WorkerModel.Shards shards) {
        Map<Integer, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < shards.count(); i++) {
            if (shards.frozen()[i]) out.put(i, Fingerprint.of(flat, Math.toIntExact(shards.offsets()[i]), shards.lengths()[i]));
        }
        return out;
    }
}
