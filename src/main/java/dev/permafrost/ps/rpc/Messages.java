package dev.permafrost.ps.rpc;

import dev.permafrost.io.LittleEndian;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameter service's wire format, in the project's one little-endian codec: fields read back by position, floats
 * as raw IEEE-754 bits, so values arrive bit-identical.
 */
public final class Messages {
    private static final int MAGIC = 0x50465354; // "PFST"
    private static final String WHAT = "a Permafrost parameter-server message";

    private Messages() {
    }

    /**
     * The trainable values of one version, in trainable-layout order: the answer to a pull and to a push. Decoded, the
     * values are a read-only view of the received bytes, so they are copied once, straight to where they go.
     */
    public record TrainableValues(long version, int phase, FloatBuffer values) {
    }

    /**
     * A worker's push for one step, apart from its gradients: the fingerprints (frozen shard index to fingerprint) of
     * its frozen copies, which may be empty, and what the server checks. {@code taskAttempt} counts Spark's own restarts
     * of the epoch's stage (0 for the first): a later attempt's push replaces the one a failed attempt left waiting,
     * where a second push of the same attempt is refused.
     */
    public record PushHeader(int worker, int submission, int taskAttempt, long version, int phase, long samples, double lossSum,
                             String executor, Map<Integer, Long> fingerprints) {
    }

    /** A push as received: its header and the gradient sums of the trainable shards in trainable-layout order (a view). */
    public record Push(PushHeader header, FloatBuffer gradientSums) {
        public static Push of(PushHeader header, float[] gradientSums) {
            return new Push(header, FloatBuffer.wrap(gradientSums));
        }
    }

    /** {@code submission} numbers the driver's submissions of epochs: calls from an older submission are refused. */
    public record Pull(int worker, int submission, int phase, String executor) {
    }

    /** Writes a push's {@code count} gradient floats, in trainable-layout order, into the message. */
    @FunctionalInterface
    public interface GradientWriter {
        void writeTo(FloatBuffer out);
    }

    /** The answer, with the values copied once from the server's packed vector into the message. */
    public static byte[] encodeTrainableValues(long version, int phase, float[] values) {
        ByteBuffer b = LittleEndian.allocate(4 + 8 + 4 + LittleEndian.floatsSize(values.length), MAGIC);
        b.putLong(version).putInt(phase);
        LittleEndian.putFloats(b, values);
        return b.array();
    }

    public static TrainableValues decodeTrainableValues(byte[] bytes) {
        ByteBuffer b = LittleEndian.open(bytes, MAGIC, WHAT);
        long version = b.getLong();
        int phase = b.getInt();
        FloatBuffer values = LittleEndian.floatsView(b);
        LittleEndian.requireEnd(b, WHAT);
        return new TrainableValues(version, phase, values);
    }

    public static byte[] encode(Pull message) {
        ByteBuffer b = LittleEndian.allocate(4 + 4 + 4 + 4 + LittleEndian.stringSize(message.executor()), MAGIC);
        b.putInt(message.worker()).putInt(message.submission()).putInt(message.phase());
        LittleEndian.putString(b, message.executor());
        return b.array();
    }

    public static Pull decodePull(byte[] bytes) {
        ByteBuffer b = LittleEndian.open(bytes, MAGIC, WHAT);
        Pull message = new Pull(b.getInt(), b.getInt(), b.getInt(), LittleEndian.getString(b));
        LittleEndian.requireEnd(b, WHAT);
        return message;
    }

    /** A push with its gradients written by {@code gradients} straight into the message: the only copy on the sending side. */
    public static byte[] encode(PushHeader h, int gradientCount, GradientWriter gradients) {
        long size = 4 + 4 + 4 + 4 + 8 + 4 + 8 + 8 + LittleEndian.stringSize(h.executor()) + 4 + 12L * h.fingerprints().size()
                + LittleEndian.floatsSize(gradientCount);
        ByteBuffer b = LittleEndian.allocate(size, MAGIC);
        b.putInt(h.worker()).putInt(h.submission()).putInt(h.taskAttempt()).putLong(h.version()).putInt(h.phase())
                .putLong(h.samples()).putDouble(h.lossSum());
        LittleEndian.putString(b, h.executor());
        b.putInt(h.fingerprints().size());
        for (var e : h.fingerprints().entrySet()) b.putInt(e.getKey()).putLong(e.getValue());
        b.putInt(gradientCount);
        FloatBuffer out = b.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        gradients.writeTo(out);
        if (out.position() != gradientCount) {
            throw new IllegalStateException("the push's gradient writer wrote " + out.position() + " of " + gradientCount + " values");
        }
        return b.array();
    }

    public static byte[] encode(Push message) {
        FloatBuffer sums = message.gradientSums().duplicate();
        sums.rewind();
        return encode(message.header(), sums.remaining(), out -> out.put(sums));
    }

    public static Push decodePush(byte[] bytes) {
        ByteBuffer b = LittleEndian.open(bytes, MAGIC, WHAT);
        int worker = b.getInt();
        int submission = b.getInt();
        int taskAttempt = b.getInt();
        long version = b.getLong();
        int phase = b.getInt();
        long samples = b.getLong();
        double loss = b.getDouble();
        String executor = LittleEndian.getString(b);
        int n = LittleEndian.getCount(b, 12, "fingerprint");
        Map<Integer, Long> fingerprints = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) fingerprints.put(b.getInt(), b.getLong());
        FloatBuffer sums = LittleEndian.floatsView(b);
        LittleEndian.requireEnd(b, WHAT);
        return new Push(new PushHeader(worker, submission, taskAttempt, version, phase, samples, loss, executor, fingerprints), sums);
    }
}
