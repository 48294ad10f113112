package dev.permafrost.shard;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The flat parameter vector cut into shards. Boundaries are fixed for a whole run: adjacent parameters share a
 * shard only if they carry the same label in every phase of the schedule and the same update rule, so a
 * freeze transition only relabels shards and never regroups them. A parameter longer than the bound is cut
 * into pieces of at most {@code maxShardLength} elements; otherwise shards start at parameter boundaries.
 */
public record ShardLayout(List<Shard> shards, long totalLength, int maxShardLength) {

    public static final int DEFAULT_MAX_SHARD_LENGTH = 1 << 18;

    public ShardLayout {
        shards = List.copyOf(shards);
        long expected = 0;
        for (int i = 0; i < shards.size(); i++) {
            Shard s = shards.get(i);
            if (s.index() != i || s.offset() != expected || s.length() > maxShardLength) {
                throw new IllegalArgumentException("shard " + i + " breaks the layout: " + s.describe());
            }
            expected += s.length();
        }
        if (expected != totalLength) {
            throw new IllegalArgumentException("shards cover " + expected + " elements of " + totalLength);
        }
    }

    /**
     * Refuses this layout unless every shard lies within the parameters it names as {@code table} places them: how an
     * executor checks the driver's map against the one it read from its own network's DL4J views before any shard
     * steers an update or a fingerprint into that network.
     */
    public void requireMatches(ParamTable table) {
        for (Shard s : shards) {
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            for (String name : s.paramNames()) {
                int i = table.indexOf(name);
                if (i < 0) throw new IllegalStateException(s.describe() + " names " + name + ", which this network does not have");
                lo = Math.min(lo, table.get(i).offset());
                hi = Math.max(hi, table.get(i).end());
            }
            if (s.start() < lo || s.end() > hi) {
                throw new IllegalStateException(s.describe() + " is not where DL4J keeps " + s.paramNames() + " in this network ([" + lo + ", "
                        + hi + ")): the parameter map that made the layout is not this network's, so no update may go through it");
            }
        }
    }

    /**
     * Plans shards for a run whose phases carry these labels; the layout carries the first phase's labels.
     */
    public static ShardLayout plan(ParamTable table, List<ParamLabels> phases, int maxShardLength) {
        if (maxShardLength < 1) throw new IllegalArgumentException("maxShardLength must be >= 1, got " + maxShardLength);
        if (phases.isEmpty()) phases = List.of(ParamLabels.allTrainable(table));
        if (table.totalLength() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the network has " + table.totalLength()
                    + " parameters; more than 2^31-1 are not supported in one flat view");
        }
        List<Shard> shards = new ArrayList<>();
        List<String> names = new ArrayList<>();
        long start = 0;
        int length = 0;
        Object groupKey = null;
        for (int p = 0; p < table.size(); p++) {
            NamedParam param = table.get(p);
            if (param.length() == 0) continue;
            Object key = groupKey(phases, p, param);
            boolean fits = length + param.length() <= maxShardLength;
            if (length > 0 && (!key.equals(groupKey) || !fits)) {
                shards.add(shard(shards.size(), start, length, names, table, phases));
                names = new ArrayList<>();
                length = 0;
            }
            if (param.length() > maxShardLength) {
                // A large parameter becomes pieces of its own.
                long pos = param.offset();
                long left = param.length();
                while (left > 0) {
                    int piece = (int) Math.min(left, maxShardLength);
                    boolean statistic = param.kind().isStatistic();
                    shards.add(new Shard(shards.size(), pos, piece, List.of(param.name()), statistic,
                            UpdateRule.of(statistic, phases.get(0).label(p))));
                    pos += piece;
                    left -= piece;
                }
                groupKey = null;
                continue;
            }
            if (length == 0) start = param.offset();
            names.add(param.name());
            length += (int) param.length();
            groupKey = key;
        }
        if (length > 0) {
            shards.add(shard(shards.size(), start, length, names, table, phases));
        }
        return new ShardLayout(shards, table.totalLength(), maxShardLength);
    }

    public static ShardLayout plan(ParamTable table, ParamLabels labels) {
        return plan(table, List.of(labels), DEFAULT_MAX_SHARD_LENGTH);
    }

    private static Object groupKey(List<ParamLabels> phases, int p, NamedParam param) {
        List<Object> key = new ArrayList<>();
        key.add(param.kind().isStatistic());
        for (ParamLabels labels : phases) key.add(labels.label(p));
        return key;
    }

    /** A shard of whole parameters, under the first phase's label of its first parameter (all share it). */
    private static Shard shard(int index, long start, int length, List<String> names, ParamTable table, List<ParamLabels> phases) {
        boolean statistic = table.byName(names.get(0)).kind().isStatistic();
        return new Shard(index, start, length, names, statistic, UpdateRule.of(statistic, phases.get(0).label(names.get(0))));
    }

    /**
     * The same boundaries under other labels. Every shard must be uniform under the new labels, which holds for
     * any phase the layout was planned with; labels from outside that set may split a shard and are refused.
     */
    public ShardLayout withLabels(ParamLabels labels) {
        List<Shard> out = new ArrayList<>(shards.size());
        for (Shard s : shards) {
            Label label = null;
            for (String name : s.paramNames()) {
                Label l = labels.label(name);
                if (label != null && l != label) {
                    throw new IllegalArgumentException(s.describe() + " would hold both trainable and frozen parameters; "
                            + "plan the layout with every phase of the schedule");
                }
                label = l;
            }
            out.add(s.withLabel(Objects.requireNonNull(label)));
        }
        return new ShardLayout(out, totalLength, maxShardLength);
    }

    public List<Shard> trainable() {
        return shards.stream().filter(s -> !s.frozen()).toList();
    }

    public List<Shard> frozen() {
        return shards.stream().filter(Shard::frozen).toList();
    }

    public long elements(Label label) {
        long n = 0;
        for (Shard s : shards) if (s.label() == label) n += s.length();
        return n;
    }
}
