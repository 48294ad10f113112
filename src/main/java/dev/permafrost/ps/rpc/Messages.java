package dev.permafrost.ps.rpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameter server's wire format: explicit little-endian fields read back by position, never Java
 * serialization. Floats travel as raw IEEE-754 bits, so values arrive bit-identical.
 */
public final class Messages {
    private static final int MAGIC = 0x50465354; // "PFST"

    private Messages() {
    }

    /** Trainable values of the current version: the answer to a pull and to a push. */
    public record State(long version, int phase, float[] values) {
    }

    /** A worker's push for one step. {@code fingerprints} (frozen shard → fingerprint) may be empty. */
    public record Push(int worker, int attempt, long version, int phase, long samples, double lossSum, String executor,
                       Map<Integer, Long> fingerprints, float[] gradientSums) {
    }

    /** {@code attempt} numbers the driver's submissions of an epoch: calls from an older attempt are refused. */
    public record Pull(int worker, int attempt, int phase, String executor) {
    }

    public static byte[] encode(State s) {
        ByteBuffer b = buffer(4 + 8 + 4 + 4 + 4L * s.values().length);
        b.putInt(MAGIC).putLong(s.version()).putInt(s.phase());
        putFloats(b, s.values());
        return b.array();
    }

    public static State decodeState(byte[] bytes) {
        ByteBuffer b = wrap(bytes);
        return new State(b.getLong(), b.getInt(), getFloats(b));
    }

    public static byte[] encode(Pull p) {
        byte[] exec = p.executor().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = buffer(4 + 4 + 4 + 4 + 4 + exec.length);
        b.putInt(MAGIC).putInt(p.worker()).putInt(p.attempt()).putInt(p.phase()).putInt(exec.length).put(exec);
        return b.array();
    }

    public static Pull decodePull(byte[] bytes) {
        ByteBuffer b = wrap(bytes);
        return new Pull(b.getInt(), b.getInt(), b.getInt(), getString(b));
    }

    public static byte[] encode(Push p) {
        byte[] exec = p.executor().getBytes(StandardCharsets.UTF_8);
        long size = 4 + 4 + 4 + 8 + 4 + 8 + 8 + 4 + exec.length + 4 + 12L * p.fingerprints().size() + 4 + 4L * p.gradientSums().length;
        ByteBuffer b = buffer(size);
        b.putInt(MAGIC).putInt(p.worker()).putInt(p.attempt()).putLong(p.version()).putInt(p.phase()).putLong(p.samples()).putDouble(p.lossSum());
        b.putInt(exec.length).put(exec);
        b.putInt(p.fingerprints().size());
        for (var e : p.fingerprints().entrySet()) b.putInt(e.getKey()).putLong(e.getValue());
        putFloats(b, p.gradientSums());
        return b.array();
    }

    public static Push decodePush(byte[] bytes) {
        ByteBuffer b = wrap(bytes);
        int worker = b.getInt();
        int attempt = b.getInt();
        long version = b.getLong();
        int phase = b.getInt();
        long samples = b.getLong();
        double loss = b.getDouble();
        String exec = getString(b);
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 12) throw new IllegalArgumentException("bad fingerprint count " + n);
        Map<Integer, Long> fps = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) fps.put(b.getInt(), b.getLong());
        return new Push(worker, attempt, version, phase, samples, loss, exec, fps, getFloats(b));
    }

    private static ByteBuffer buffer(long size) {
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("message of " + size + " bytes is too large");
        return ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer wrap(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 4 || b.getInt() != MAGIC) throw new IllegalArgumentException("not a Permafrost parameter-server message");
        return b;
    }

    private static void putFloats(ByteBuffer b, float[] v) {
        b.putInt(v.length);
        b.asFloatBuffer().put(v);
        b.position(b.position() + 4 * v.length);
    }

    private static float[] getFloats(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 4) throw new IllegalArgumentException("bad float count " + n + " with " + b.remaining() + " bytes left");
        float[] v = new float[n];
        b.asFloatBuffer().get(v);
        b.position(b.position() + 4 * n);
        return v;
    }

    private static String getString(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("bad string length " + n);
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
