package dev.permafrost.train;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a worker needs to build its network for one freeze phase: the unwrapped configuration, all parameters
 * as raw floats, the labels and the shard ranges. Broadcast once per phase as explicit bytes (never Java
 * serialization); a phase's frozen shards travel only here.
 */
public record WorkerModel(int phase, String configJson, boolean graph, float[] params, List<Label> labels, Shards shards) {
    private static final int MAGIC = 0x50464d44; // "PFMD"

    /** The shard ranges in layout order, with their frozen flags: what slicing pushes and fingerprinting need. */
    public record Shards(long[] offsets, int[] lengths, boolean[] frozen) {
        public static Shards of(ShardLayout layout) {
            List<Shard> s = layout.shards();
            long[] o = new long[s.size()];
            int[] l = new int[s.size()];
            boolean[] f = new boolean[s.size()];
            for (int i = 0; i < o.length; i++) {
                o[i] = s.get(i).offset();
                l[i] = s.get(i).length();
                f[i] = s.get(i).frozen();
            }
            return new Shards(o, l, f);
        }

        public int count() {
            return offsets.length;
        }

        public int trainableElements() {
            int n = 0;
            for (int i = 0; i < offsets.length; i++) if (!frozen[i]) n += lengths[i];
            return n;
        }
    }

    public static WorkerModel of(int phase, Network network, float[] params, ParamLabels labels, ShardLayout layout) {
        return new WorkerModel(phase, Dl4jNetworks.configJson(network), Dl4jNetworks.isGraph(network), params, labels.labels(),
                Shards.of(layout));
    }

    /** Builds the worker's network: frozen layers wrapped, parameters bit-identical to the driver's. */
    public Network build() {
        Network plain = Dl4jNetworks.fromConfig(configJson, graph, params);
        return plain.rebuild(new ParamLabels(plain.params(), labels), params);
    }

    public byte[] encode() {
        byte[] json = configJson.getBytes(StandardCharsets.UTF_8);
        int n = shards.count();
        long size = 4 + 4 + 4 + json.length + 1 + 4 + 4L * params.length + 4 + labels.size() + 4 + 13L * n;
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(phase);
        b.putInt(json.length).put(json);
        b.put((byte) (graph ? 1 : 0));
        b.putInt(params.length);
        b.asFloatBuffer().put(params);
        b.position(b.position() + 4 * params.length);
        b.putInt(labels.size());
        for (Label l : labels) b.put((byte) l.ordinal());
        b.putInt(n);
        for (int i = 0; i < n; i++) b.putLong(shards.offsets()[i]).putInt(shards.lengths()[i]).put((byte) (shards.frozen()[i] ? 1 : 0));
        return b.array();
    }

    public static WorkerModel decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8 || b.getInt() != MAGIC) throw new IllegalArgumentException("not a Permafrost worker model");
        int phase = b.getInt();
        byte[] json = new byte[b.getInt()];
        b.get(json);
        boolean graph = b.get() == 1;
        float[] params = new float[b.getInt()];
        b.asFloatBuffer().get(params);
        b.position(b.position() + 4 * params.length);
        int nLabels = b.getInt();
        List<Label> labels = new ArrayList<>(nLabels);
        for (int i = 0; i < nLabels; i++) labels.add(Label.values()[b.get()]);
        int n = b.getInt();
        long[] offsets = new long[n];
        int[] lengths = new int[n];
        boolean[] frozen = new boolean[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = b.getLong();
            lengths[i] = b.getInt();
            frozen[i] = b.get() == 1;
        }
        return new WorkerModel(phase, new String(json, StandardCharsets.UTF_8), graph, params, labels, new Shards(offsets, lengths, frozen));
    }
}
