package dev.permafrost.ps.rpc;

import dev.permafrost.io.LittleEndian;

import java.nio.ByteBuffer;
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

    /** The trainable values of one version, in trainable-layout order: the answer to a pull and to a push. */
    public record TrainableValues(long version, int phase, float[] values) {
    }

    /**
     * A worker's push for one step: the gradient sums of the trainable shards in trainable-layout order, and the
     * fingerprints (frozen shard index to fingerprint) of its frozen copies, which may be empty. {@code taskAttempt}
     * counts Spark's own restarts of the epoch's stage (0 for the first): a later attempt's push replaces the one a
     * failed attempt left waiting, where a second push of the same attempt is refused.
     */
    public record Push(int worker, int submission, int taskAttempt, long version, int phase, long samples, double lossSum,
                       String executor, Map<Integer, Long> fingerprints, float[] gradientSums) {
    }

    /** {@code submission} numbers the driver's submissions of epochs: calls from an older submission are refused. */
    public record Pull(int worker, int submission, int phase, String executor) {
    }

    public static byte[] encode(TrainableValues message) {
        ByteBuffer b = LittleEndian.allocate(4 + 8 + 4 + LittleEndian.floatsSize(message.values().length), MAGIC);
        b.putLong(message.version()).putInt(message.phase());
        LittleEndian.putFloats(b, message.values());
        return b.array();
    }

    public static TrainableValues decodeTrainableValues(byte[] bytes) {
        ByteBuffer b = LittleEndian.open(bytes, MAGIC, WHAT);
        TrainableValues message = new TrainableValues(b.getLong(), b.getInt(), LittleEndian.getFloats(b));
        LittleEndian.requireEnd(b, WHAT);
        return message;
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

    public static byte[] encode(Push message) {
        long size = 4 + 4 + 4 + 4 + 8 + 4 + 8 + 8 + LittleEndian.stringSize(message.executor()) + 4 + 12L * message.fingerprints().size()
                + LittleEndian.floatsSize(message.gradientSums().length);
        ByteBuffer b = LittleEndian.allocate(size, MAGIC);
        b.putInt(message.worker()).putInt(message.submission()).putInt(message.taskAttempt()).putLong(message.version()).putInt(message.phase())
                .putLong(message.samples()).putDouble(message.lossSum());
        LittleEndian.putString(b, message.executor());
        b.putInt(message.fingerprints().size());
        for (var e : message.fingerprints().entrySet()) b.putInt(e.getKey()).putLong(e.getValue());
        LittleEndian.putFloats(b, message.gradientSums());
        return b.array();
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
        Push message = new Push(worker, submission, taskAttempt, version, phase, samples, loss, executor, fingerprints, LittleEndian.getFloats(b));
        LittleEndian.requireEnd(b, WHAT);
        return message;
    }
}
