package dev.permafrost.testing;

/** Raw IEEE-754 bits of float arrays: how tests compare values that must be bit-identical, never with a tolerance. */
public final class RawBits {
    private RawBits() {
    }

    public static int[] of(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return bits;
    }
}
