package dev.permafrost.shard;

import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Fingerprints are XXH64 (seed 0) of the raw bits' little-endian bytes: recomputable by anyone, from an array or a view. */
class FingerprintTest {

    /** The reference: lz4-java's pure-Java XXH64 over bytes laid out here by hand. */
    private static long reference(float[] values, int offset, int length) {
        byte[] bytes = new byte[4 * length];
        for (int i = 0; i < length; i++) {
            int bits = Float.floatToRawIntBits(values[offset + i]);
            for (int b = 0; b < 4; b++) bytes[4 * i + b] = (byte) (bits >>> (8 * b));
        }
        return XXHashFactory.safeInstance().hash64().hash(bytes, 0, bytes.length, 0);
    }

    @Test
    void isXxh64WithSeedZeroOverLittleEndianRawBits() {
        assertEquals(0xEF46DB3751D8E999L, Fingerprint.of(new float[0]), "XXH64 of no bytes, seed 0, as published");
        Random random = new Random(5);
        for (int length : new int[]{1, 7, 16_384, 16_385, 100_003}) {
            float[] values = new float[length + 9];
            for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
            assertEquals(reference(values, 9, length), Fingerprint.of(values, 9, length), "length " + length);
            FloatBuffer view = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder()).asFloatBuffer().put(values);
            assertEquals(Fingerprint.of(values, 9, length), Fingerprint.of(view.asReadOnlyBuffer(), 9, length), "view, length " + length);
        }
    }

    @Test
    void comparesBitsNotValues() {
        assertNotEquals(Fingerprint.of(new float[]{0f}), Fingerprint.of(new float[]{-0f}));
        float nanA = Float.intBitsToFloat(0x7fc00000);
        float nanB = Float.intBitsToFloat(0x7fc00001);
        assertNotEquals(Fingerprint.of(new float[]{nanA}), Fingerprint.of(new float[]{nanB}));
        float[] one = new float[300_000];
        long before = Fingerprint.of(one);
        one[123_456] = Float.MIN_VALUE;
        assertNotEquals(before, Fingerprint.of(one), "one element in a large shard");
    }
}
