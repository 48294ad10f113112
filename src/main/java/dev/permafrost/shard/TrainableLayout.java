package dev.permafrost.shard;

import java.util.List;

/**
 * The trainable shards in layout order, packed end to end: the one shape in which trainable values and gradients
 * travel (pushes, answers, the server's state). Frozen shards are not in it, so nothing about them can travel.
 */
public record TrainableLayout(List<Shard> shards, int elements) {

    public TrainableLayout {
        shards = List.copyOf(shards);
        long total = 0;
        for (Shard s : shards) {
            if (s.frozen()) throw new IllegalArgumentException(s.describe() + " is frozen and has no place among the trainable shards");
            total += s.length();
        }
        if (total != elements) throw new IllegalArgumentException("trainable shards hold " + total + " elements, not " + elements);
    }

    public static TrainableLayout of(ShardLayout layout) {
        List<Shard> trainable = layout.trainable();
        int total = 0;
        for (Shard s : trainable) total = Math.addExact(total, s.length());
        return new TrainableLayout(trainable, total);
    }

    /** Receives one shard's packed range: {@code packed[from, from + shard.length())}. */
    @FunctionalInterface
    public interface RangeSink {
        void accept(Shard shard, float[] packed, int from);
    }

    /** Receives one shard and where its range starts in the packed vector. */
    @FunctionalInterface
    public interface PackedAt {
        void accept(Shard shard, int from);
    }

    /** The packing walk, written once: every trainable shard in layout order with the start of its packed range. */
    public void walk(PackedAt visit) {
        int at = 0;
        for (Shard s : shards) {
            visit.accept(s, at);
            at += s.length();
        }
    }

    /** The trainable ranges of a full flat vector, packed in layout order: one copy. */
    public float[] gather(float[] flat) {
        float[] packed = new float[elements];
        walk((s, at) -> System.arraycopy(flat, s.start(), packed, at, s.length()));
        return packed;
    }

    /** Hands every shard its range of a packed vector, after checking the vector has this layout's length. */
    public void scatter(float[] packed, RangeSink sink) {
        requireLength(packed, "the packed vector");
        walk((s, at) -> sink.accept(s, packed, at));
    }

    /** Fails naming {@code what} unless it has exactly this layout's length. */
    public void requireLength(float[] packed, String what) {
        if (packed.length != elements) {
            throw new IllegalArgumentException(what + " holds " + packed.length + " values; the trainable shards hold " + elements);
        }
    }
}
