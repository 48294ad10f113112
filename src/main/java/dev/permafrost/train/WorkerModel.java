package dev.permafrost.train;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.io.LittleEndian;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.shard.UpdateRule;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a worker needs to build its network for one freeze phase: the unwrapped configuration, all parameters
 * as raw floats, the labels and the shard layout. Broadcast once per phase as explicit bytes (never Java
 * serialization); a phase's frozen shards travel only here.
 */
public record WorkerModel(int phase, String configJson, boolean graph, float[] params, List<Label> labels, ShardLayout layout) {
    private static final int MAGIC = 0x50464d44; // "PFMD"
    private static final String WHAT = "a Permafrost worker model";

    public WorkerModel {
        labels = List.copyOf(labels);
    }

    public static WorkerModel of(int phase, Network network, float[] params, ParamLabels labels, ShardLayout layout) {
        return new WorkerModel(phase, Dl4jNetworks.configJson(network), Dl4jNetworks.isGraph(network), params, labels.labels(), layout);
    }

    /** Builds the worker's network: frozen layers wrapped, parameters bit-identical to the driver's. */
    public Network build() {
        Network plain = Dl4jNetworks.fromConfig(configJson, graph, params);
        layout.requireMatches(plain.params());
        return plain.rebuild(new ParamLabels(plain.params(), labels), params);
    }

    public byte[] encode() {
        long size = 4 + 4 + LittleEndian.stringSize(configJson) + 1 + LittleEndian.floatsSize(params.length) + 4 + labels.size()
                + 8 + 4 + 4;
        for (Shard s : layout.shards()) {
            size += 8 + 4 + 1 + 1 + 4;
            for (String name : s.paramNames()) size += LittleEndian.stringSize(name);
        }
        ByteBuffer b = LittleEndian.allocate(size, MAGIC);
        b.putInt(phase);
        LittleEndian.putString(b, configJson);
        b.put((byte) (graph ? 1 : 0));
        LittleEndian.putFloats(b, params);
        b.putInt(labels.size());
        for (Label l : labels) b.put((byte) l.ordinal());
        b.putLong(layout.totalLength()).putInt(layout.maxShardLength()).putInt(layout.shards().size());
        for (Shard s : layout.shards()) {
            b.putLong(s.offset()).putInt(s.length()).put((byte) (s.statistic() ? 1 : 0)).put((byte) s.rule().ordinal());
            b.putInt(s.paramNames().size());
            for (String name : s.paramNames()) LittleEndian.putString(b, name);
        }
        return b.array();
    }

    public static WorkerModel decode(byte[] bytes) {
        ByteBuffer b = LittleEndian.open(bytes, MAGIC, WHAT);
        int phase = b.getInt();
        String json = LittleEndian.getString(b);
        boolean graph = b.get() == 1;
        float[] params = LittleEndian.getFloats(b);
        int nLabels = LittleEndian.getCount(b, 1, "label");
        List<Label> labels = new ArrayList<>(nLabels);
        for (int i = 0; i < nLabels; i++) labels.add(Label.values()[b.get()]);
        long totalLength = b.getLong();
        int maxShardLength = b.getInt();
        int nShards = LittleEndian.getCount(b, 18, "shard");
        List<Shard> shards = new ArrayList<>(nShards);
        for (int i = 0; i < nShards; i++) {
            long offset = b.getLong();
            int length = b.getInt();
            boolean statistic = b.get() == 1;
            UpdateRule rule = UpdateRule.values()[b.get()];
            int nNames = LittleEndian.getCount(b, 4, "parameter name");
            List<String> names = new ArrayList<>(nNames);
            for (int k = 0; k < nNames; k++) names.add(LittleEndian.getString(b));
            shards.add(new Shard(i, offset, length, names, statistic, rule));
        }
        LittleEndian.requireEnd(b, WHAT);
        return new WorkerModel(phase, json, graph, params, labels, new ShardLayout(shards, totalLength, maxShardLength));
    }
}
