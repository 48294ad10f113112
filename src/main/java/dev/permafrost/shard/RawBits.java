package dev.permafrost.shard;

/**
 * Raw-bit comparison of float ranges, written once: two values are the same exactly when
 * {@link Float#floatToRawIntBits} agrees (so -0.0 differs from 0.0, and a NaN equals only the same NaN). Never a
 * tolerance: this is how every frozen-bits check compares.
 */
public final class RawBits {
    private RawBits() {
    }

    /** The index of the first element of {@code [0, length)} whose bits differ between the two ranges, or -1. */
    public static int firstDifference(float[] a, int aFrom, float[] b, int bFrom, int length) {
        for (int i = 0; i < length; i++) {
            if (Float.floatToRawIntBits(a[aFrom + i]) != Float.floatToRawIntBits(b[bFrom + i])) return i;
        }
        return -1;
    }

    /** How many elements of the two ranges differ in their bits. */
    public static long differing(float[] a, int aFrom, float[] b, int bFrom, int length) {
        long n = 0;
        for (int i = 0; i < length; i++) {
            if (Float.floatToRawIntBits(a[aFrom + i]) != Float.floatToRawIntBits(b[bFrom + i])) n++;
        }
        return n;
    }

    /** Whether two whole arrays hold the same bits. */
    public static boolean identical(float[] a, float[] b) {
        return a.length == b.length && firstDifference(a, 0, b, 0, a.length) < 0;
    }
}
