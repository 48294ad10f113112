package dev.permafrost.checkpoint;

import dev.permafrost.optim.AdamState;
import dev.permafrost.optim.SgdState;
import dev.permafrost.optim.ShardState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

/** The optimizer state of a checkpoint as explicit little-endian bytes: shard index, kind, step, arrays. */
final class OptimizerStateCodec {
    private static final int MAGIC = 0x5046_4f53; // "PFOS"
    private static final byte ADAM = 1;
    private static final byte SGD = 2;

    private OptimizerStateCodec() {
    }

    static byte[] encode(Map<Integer, ShardState> states) {
        long size = 8;
        for (ShardState s : states.values()) size += 4 + 1 + 8 + 4 + (s instanceof AdamState ? 8L : 4L) * s.length();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(states.size());
        for (var e : new TreeMap<>(states).entrySet()) {
            ShardState s = e.getValue();
            b.putInt(e.getKey());
            if (s instanceof AdamState a) {
                b.put(ADAM).putLong(a.step()).putInt(a.length());
                floats(b, a.expAvg());
                floats(b, a.expAvgSq());
            } else if (s instanceof SgdState g) {
                b.put(SGD).putLong(g.step()).putInt(g.length());
                floats(b, g.momentumBuffer());
            } else {
                throw new IllegalArgumentException("no checkpoint encoding for " + s.getClass().getName());
            }
        }
        return b.array();
    }

    static Map<Integer, ShardState> decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8 || b.getInt() != MAGIC) throw new IllegalArgumentException("optimizer.bin is not a Permafrost optimizer state");
        int n = b.getInt();
        Map<Integer, ShardState> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int shard = b.getInt();
            byte kind = b.get();
            long step = b.getLong();
            int len = b.getInt();
            if (len < 0 || len > b.remaining() / 4) throw new IllegalArgumentException("optimizer.bin: bad length " + len + " for shard " + shard);
            switch (kind) {
                case ADAM -> out.put(shard, new AdamState(floats(b, len), floats(b, len), step));
                case SGD -> out.put(shard, new SgdState(floats(b, len), step));
                default -> throw new IllegalArgumentException("optimizer.bin: unknown state kind " + kind + " for shard " + shard);
            }
        }
        if (b.hasRemaining()) throw new IllegalArgumentException("optimizer.bin: " + b.remaining() + " bytes left over");
        return out;
    }

    private static void floats(ByteBuffer b, float[] v) {
        b.asFloatBuffer().put(v);
        b.position(b.position() + 4 * v.length);
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] v = new float[n];
        b.asFloatBuffer().get(v);
        b.position(b.position() + 4 * n);
        return v;
    }
}
