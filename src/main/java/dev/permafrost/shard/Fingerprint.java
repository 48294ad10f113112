package dev.permafrost.shard;

import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHashFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fingerprint of a shard's values: XXH64 with seed 0 over the little-endian bytes of each float's raw IEEE-754
 * bits, as lz4-java computes it. A published hash, so anyone can recompute one from a saved model; it compares bits,
 * not values: -0.0 and 0.0, or NaNs with different payloads, fingerprint differently.
 */
public final class Fingerprint {
    /** The seed of every fingerprint. */
    public static final long SEED = 0;
    private static final XXHashFactory XXHASH = XXHashFactory.fastestJavaInstance();
    /** Floats converted to bytes per pass: large shards are hashed in chunks, never copied whole. */
    private static final int CHUNK_FLOATS = 1 << 14;
    private static final ThreadLocal<ByteBuffer> CHUNK =
            ThreadLocal.withInitial(() -> ByteBuffer.allocate(4 * CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN));

    private Fingerprint() {
    }

    public static long of(float[] values) {
        return of(values, 0, values.length);
    }

    public static long of(float[] values, int offset, int length) {
        ByteBuffer chunk = CHUNK.get();
        FloatBuffer floats = chunk.asFloatBuffer();
        if (length <= CHUNK_FLOATS) {
            floats.put(values, offset, length);
            return XXHASH.hash64().hash(chunk.array(), 0, 4 * length, SEED);
        }
        try (StreamingXXHash64 hash = XXHASH.newStreamingHash64(SEED)) {
            for (int at = 0; at < length; at += CHUNK_FLOATS) {
                int n = Math.min(CHUNK_FLOATS, length - at);
                floats.clear();
                floats.put(values, offset + at, n);
                hash.update(chunk.array(), 0, 4 * n);
            }
            return hash.getValue();
        }
    }

    /** The same fingerprint, read from a buffer (a network's own parameter memory) instead of an array: no whole copy. */
    public static long of(FloatBuffer values, int offset, int length) {
        ByteBuffer chunk = CHUNK.get();
        FloatBuffer floats = chunk.asFloatBuffer();
        try (StreamingXXHash64 hash = XXHASH.newStreamingHash64(SEED)) {
            for (int at = 0; at < length; at += CHUNK_FLOATS) {
                int n = Math.min(CHUNK_FLOATS, length - at);
                floats.clear();
                floats.put(values.slice(offset + at, n));
                hash.update(chunk.array(), 0, 4 * n);
            }
            return hash.getValue();
        }
    }

    /**
     * The fingerprint of every frozen shard of {@code layout}, by shard index, read from a network's own parameter
     * memory: what an audited push carries and what the single-process trainer checks.
     */
    public static Map<Integer, Long> ofFrozen(FloatBuffer flat, ShardLayout layout) {
        Map<Integer, Long> out = new LinkedHashMap<>();
        for (Shard s : layout.frozen()) out.put(s.index(), of(flat, s.start(), s.length()));
        return out;
    }

    public static String hex(long fingerprint) {
        return String.format("%016x", fingerprint);
    }
}
