package dev.permafrost.checkpoint;

import dev.permafrost.io.LittleEndian;
import dev.permafrost.optim.AdamState;
import dev.permafrost.optim.SgdState;
import dev.permafrost.optim.ShardState;

import java.nio.ByteBuffer;
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
        ByteBuffer b = LittleEndian.allocate(size, MAGIC);
        b.putInt(states.size());
        for (var e : new TreeMap<>(states).entrySet()) {
            ShardState s = e.getValue();
            b.putInt(e.getKey());
            if (s instanceof AdamState a) {
                b.put(ADAM).putLong(a.step()).putInt(a.length());
                LittleEndian.putFloatsRaw(b, a.expAvg(), 0, a.length());
                LittleEndian.putFloatsRaw(b, a.expAvgSq(), 0, a.length());
            } else if (s instanceof SgdState g) {
                b.put(SGD).putLong(g.step()).putInt(g.length());
                LittleEndian.putFloatsRaw(b, g.momentumBuffer(), 0, g.length());
            } else {
                throw new IllegalArgumentException("no checkpoint encoding for " + s.getClass().getName());
            }
        }
        return b.array();
    }

    static Map<Integer, ShardState> decode(byte[] bytes) {
        ByteBuffer b = LittleEndian.open(bytes, MAGIC, "a Permafrost optimizer state (optimizer.bin)");
        int n = LittleEndian.getCount(b, 4 + 1 + 8 + 4, "optimizer.bin shard");
        Map<Integer, ShardState> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int shard = b.getInt();
            byte kind = b.get();
            long step = b.getLong();
            int len = b.getInt();
            switch (kind) {
                case ADAM -> out.put(shard, new AdamState(LittleEndian.getFloatsRaw(b, len), LittleEndian.getFloatsRaw(b, len), step));
                case SGD -> out.put(shard, new SgdState(LittleEndian.getFloatsRaw(b, len), step));
                default -> throw new IllegalArgumentException("optimizer.bin: unknown state kind " + kind + " for shard " + shard);
            }
        }
        LittleEndian.requireEnd(b, "optimizer.bin");
        return out;
    }
}
