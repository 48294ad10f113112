package dev.permafrost.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The one codec for the project's binary formats (parameter-server messages, the broadcast model, optimizer state):
 * explicit little-endian fields read back by position, floats as raw IEEE-754 bits so they arrive bit-identical, and
 * every count checked against the bytes that are left before anything is allocated. Never Java serialization.
 */
public final class LittleEndian {
    private LittleEndian() {
    }

    /** A buffer of exactly {@code size} bytes that starts with {@code magic}. */
    public static ByteBuffer allocate(long size, int magic) {
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("a message of " + size + " bytes is too large");
        return ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN).putInt(magic);
    }

    /** Reads past the magic number, refusing bytes that do not start with it; {@code what} names the format in the error. */
    public static ByteBuffer open(byte[] bytes, int magic, String what) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 4 || buffer.getInt() != magic) throw new IllegalArgumentException("not " + what);
        return buffer;
    }

    /** Bytes taken by {@link #putFloats}: a count, then the values. */
    public static long floatsSize(int count) {
        return 4 + 4L * count;
    }

    /** Bytes taken by {@link #putString}. */
    public static long stringSize(String text) {
        return 4 + text.getBytes(StandardCharsets.UTF_8).length;
    }

    public static void putFloats(ByteBuffer buffer, float[] values) {
        buffer.putInt(values.length);
        putFloatsRaw(buffer, values, 0, values.length);
    }

    /** The values without a count, for formats whose count is stated elsewhere. */
    public static void putFloatsRaw(ByteBuffer buffer, float[] values, int from, int count) {
        buffer.asFloatBuffer().put(values, from, count);
        buffer.position(buffer.position() + 4 * count);
    }

    public static float[] getFloats(ByteBuffer buffer) {
        return getFloatsRaw(buffer, buffer.getInt());
    }

    /** {@code count} values stored without a count of their own. */
    public static float[] getFloatsRaw(ByteBuffer buffer, int count) {
        if (count < 0 || count > buffer.remaining() / 4) {
            throw new IllegalArgumentException("bad float count " + count + " with " + buffer.remaining() + " bytes left");
        }
        float[] values = new float[count];
        buffer.asFloatBuffer().get(values);
        buffer.position(buffer.position() + 4 * count);
        return values;
    }

    /**
     * A counted run of floats as a read-only view of the buffer's bytes, without a copy; the buffer moves past them.
     * The view's position is 0 and its limit the count.
     */
    public static java.nio.FloatBuffer floatsView(ByteBuffer buffer) {
        int count = buffer.getInt();
        if (count < 0 || count > buffer.remaining() / 4) {
            throw new IllegalArgumentException("bad float count " + count + " with " + buffer.remaining() + " bytes left");
        }
        java.nio.FloatBuffer view = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).limit(4 * count).asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        buffer.position(buffer.position() + 4 * count);
        return view;
    }

    public static void putString(ByteBuffer buffer, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        buffer.putInt(utf8.length).put(utf8);
    }

    public static String getString(ByteBuffer buffer) {
        int length = buffer.getInt();
        if (length < 0 || length > buffer.remaining()) {
            throw new IllegalArgumentException("bad string length " + length + " with " + buffer.remaining() + " bytes left");
        }
        byte[] utf8 = new byte[length];
        buffer.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /** A count read from the buffer, checked against what each element needs at least, so a bad count cannot allocate much. */
    public static int getCount(ByteBuffer buffer, int minBytesEach, String what) {
        int count = buffer.getInt();
        if (count < 0 || (long) count * minBytesEach > buffer.remaining()) {
            throw new IllegalArgumentException("bad " + what + " count " + count + " with " + buffer.remaining() + " bytes left");
        }
        return count;
    }

    /** Fails when bytes are left over: a well-formed message is read to its end. */
    public static void requireEnd(ByteBuffer buffer, String what) {
        if (buffer.hasRemaining()) throw new IllegalArgumentException(what + ": " + buffer.remaining() + " bytes left over");
    }
}
