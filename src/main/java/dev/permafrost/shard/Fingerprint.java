package dev.permafrost.shard;

/**
 * A fast 64-bit fingerprint of raw float bits, used to prove that two copies of a shard are identical without
 * moving them. Each element is folded in with an xor and a multiply by an odd constant; both are bijections
 * of the running state, so any change confined to a single element always changes the fingerprint. -0.0 and
 * 0.0, and NaNs with different payloads, fingerprint differently: it compares bits, not values.
 */
public final class Fingerprint {
    private static final long SEED = 0x9E3779B97F4A7C15L;
    private static final long PRIME = 0x100000001B3L * 0x2545F4914F6CDD1DL | 1L;

    private Fingerprint() {
    }

    public static long of(float[] values) {
        return of(values, 0, values.length);
    }

    public static long of(float[] values, int offset, int length) {
        long h = SEED ^ (length * 0xC2B2AE3D27D4EB4FL);
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            h = (h ^ (Float.floatToRawIntBits(values[i]) & 0xFFFFFFFFL)) * PRIME;
        }
        return finish(h);
    }

    /** MurmurHash3's 64-bit finaliser: spreads every input bit over the whole output. */
    private static long finish(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    public static String hex(long fingerprint) {
        return String.format("%016x", fingerprint);
    }
}
