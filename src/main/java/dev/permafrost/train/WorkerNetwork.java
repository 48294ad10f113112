package dev.permafrost.train;

import dev.permafrost.network.Gradients;
import dev.permafrost.network.Network;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.shard.TrainableLayout;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a worker trains, in the server's layout: the whole network, or, when the frozen prefix's outputs were computed
 * once, the suffix network that trains on them beside the whole network that holds the prefix's frozen copies. Every
 * shard is read and written where it lives: a suffix shard at its offset less the prefix's parameter count.
 */
public final class WorkerNetwork {
    private final Network whole;
    private final Network trained;
    private final int suffixOffset;
    private final ShardLayout layout;

    private WorkerNetwork(Network whole, Network trained, int suffixOffset, ShardLayout layout) {
        this.whole = whole;
        this.trained = trained;
        this.suffixOffset = suffixOffset;
        this.layout = layout;
    }

    /** The whole network trains on the rows. */
    public static WorkerNetwork whole(Network network, ShardLayout layout) {
        return new WorkerNetwork(network, network, 0, layout);
    }

    /**
     * {@code suffix} trains on the prefix's outputs; its parameters are the whole vector's from {@code suffixOffset}.
     * Every trainable shard lies above the offset (the prefix is frozen); frozen shards may lie on either side.
     */
    public static WorkerNetwork suffix(Network whole, Network suffix, int suffixOffset, ShardLayout layout) {
        for (Shard s : layout.trainable()) {
            if (s.start() < suffixOffset) throw new IllegalArgumentException("trainable " + s.describe() + " lies in the frozen prefix");
        }
        return new WorkerNetwork(whole, suffix, suffixOffset, layout);
    }

    public ShardLayout layout() {
        return layout;
    }

    /** The network the minibatches go through. */
    public Network trained() {
        return trained;
    }

    public Gradients gradient(DataSet batch) {
        return trained.gradient(batch);
    }

    /** The trainable shards' gradients in trainable-layout order, straight from the trained network's gradient view into {@code out}. */
    public void copyGradients(Gradients g, TrainableLayout trainable, FloatBuffer out) {
        for (Shard s : trainable.shards()) g.copyRange(s.start() - suffixOffset, s.length(), out);
    }

    /** The trainable shards' gradients packed in trainable-layout order: a new array, what a push carries. */
    public float[] packedGradients(Gradients g, TrainableLayout trainable) {
        float[] out = new float[trainable.elements()];
        copyGradients(g, trainable, FloatBuffer.wrap(out));
        return out;
    }

    /**
     * Writes the trainable shards' values, packed in trainable-layout order, from the server's answer into the network
     * (one copy); frozen ranges are never touched.
     */
    public void writeTrainable(TrainableLayout trainable, FloatBuffer packed) {
        if (packed.remaining() != trainable.elements()) {
            throw new IllegalArgumentException("the server's answer holds " + packed.remaining() + " values; the trainable shards hold "
                    + trainable.elements());
        }
        FloatBuffer source = packed.duplicate();
        for (Shard s : trainable.shards()) write(s, source);
    }

    /** One trainable shard's new values, from the received message into the trained network. */
    public void write(Shard s, FloatBuffer source) {
        trained.writeRange(s.start() - suffixOffset, source, s.length());
    }

    /** Every frozen shard's fingerprint, read where its copy lives: the prefix's in the whole network, the rest in the trained one. */
    public Map<Integer, Long> frozenFingerprints() {
        if (trained == whole) return Fingerprint.ofFrozen(whole.paramsView(), layout);
        FloatBuffer prefix = whole.paramsView();
        FloatBuffer suffix = trained.paramsView();
        Map<Integer, Long> out = new LinkedHashMap<>();
        for (Shard s : layout.frozen()) {
            out.put(s.index(), s.start() < suffixOffset ? Fingerprint.of(prefix, s.start(), s.length())
                    : Fingerprint.of(suffix, s.start() - suffixOffset, s.length()));
        }
        return out;
    }
}
