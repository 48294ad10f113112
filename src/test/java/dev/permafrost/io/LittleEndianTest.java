package dev.permafrost.io;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LittleEndianTest {
    private static final int MAGIC = 0x54455354;

    @Test
    void floatsAndStringsRoundTripBitForBitInLittleEndianOrder() {
        float[] values = {1f, -0f, Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.MIN_VALUE, Float.NEGATIVE_INFINITY};
        ByteBuffer out = LittleEndian.allocate(4 + LittleEndian.floatsSize(values.length) + LittleEndian.stringSize("café"), MAGIC);
        LittleEndian.putFloats(out, values);
        LittleEndian.putString(out, "café");
        byte[] bytes = out.array();
        assertEquals(0x54, bytes[0], "the magic number is written little-endian");
        assertEquals(values.length, bytes[4], "the count is little-endian too");
        assertEquals(0x3f, bytes[8 + 3], "1.0f is 00 00 80 3f");

        ByteBuffer in = LittleEndian.open(bytes, MAGIC, "a test message");
        float[] back = LittleEndian.getFloats(in);
        assertEquals("café", LittleEndian.getString(in));
        LittleEndian.requireEnd(in, "a test message");
        for (int i = 0; i < values.length; i++) assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(back[i]));
    }

    @Test
    void badMagicCountsAndLeftoversAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> LittleEndian.open(new byte[]{1, 2, 3, 4}, MAGIC, "a test message"));
        assertEquals("not a test message", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LittleEndian.open(new byte[2], MAGIC, "a test message"));

        ByteBuffer huge = LittleEndian.allocate(12, MAGIC).putInt(Integer.MAX_VALUE).putInt(0);
        var count = assertThrows(IllegalArgumentException.class, () -> LittleEndian.getFloats(LittleEndian.open(huge.array(), MAGIC, "x")));
        assertTrue(count.getMessage().contains("bad float count"), count.getMessage());

        ByteBuffer negative = LittleEndian.allocate(8, MAGIC).putInt(-1);
        assertThrows(IllegalArgumentException.class, () -> LittleEndian.getString(LittleEndian.open(negative.array(), MAGIC, "x")));

        ByteBuffer extra = LittleEndian.allocate(12, MAGIC).putInt(0).putInt(7);
        ByteBuffer read = LittleEndian.open(extra.array(), MAGIC, "x");
        assertArrayEquals(new float[0], LittleEndian.getFloats(read));
        var left = assertThrows(IllegalArgumentException.class, () -> LittleEndian.requireEnd(read, "x"));
        assertTrue(left.getMessage().contains("4 bytes left over"), left.getMessage());
    }

    /** Gson reads and writes records, but not local classes: this one is a member. */
    record Sample(String pattern) {
    }

    @Test
    void jsonIsWrittenWithoutHtmlEscaping() {
        String json = Json.write(new Sample("a=b <pretrained.*> & 'c'"));
        assertTrue(json.contains("\"a=b <pretrained.*> & 'c'\""), json);
        assertEquals(new Sample("x"), Json.read("{\"pattern\": \"x\"}", Sample.class, "sample.json"));
        var e = assertThrows(IllegalArgumentException.class, () -> Json.read("{not json", Sample.class, "sample.json"));
        assertTrue(e.getMessage().startsWith("sample.json is not valid JSON"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> Json.read("{}", Sample.class, "sample.json"));
        assertEquals("sample.json lacks 'pattern'", missing.getMessage());
    }
}
