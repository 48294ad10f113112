package dev.permafrost.checkpoint;

import dev.permafrost.freeze.Label;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.Sha256;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.train.JobIdentity;
import dev.permafrost.train.TrainState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Checkpoints of one run in {@code DIR/ckpt-<version>/} on any Hadoop FileSystem: {@code model.zip} (a plain DL4J
 * model, loadable by anyone), {@code optimizer.bin} (trainable shards' optimizer state) and {@code manifest.json}
 * (the rest of the training state, the SHA-256 of each file and every shard's fingerprint). A checkpoint is written
 * into a hidden temporary folder and renamed into place, so readers never see half of one; a checkpoint whose files
 * do not match its manifest is reported and the previous one used. Nothing is read back with Java serialization.
 */
public final class CheckpointStore {
    private static final Pattern NAME = Pattern.compile("ckpt-(\\d{12})");
    /** The SHA-256 of manifest.json, so a damaged manifest is caught like any other damaged file. */
    private static final String MANIFEST_SUM = "manifest.sha256";

    private final HadoopFiles files;
    private final String dir;
    private final int keepLast;
    /** Checkpoints known to be intact: written by this store, or read and checked. */
    private final java.util.Set<String> intact = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public CheckpointStore(HadoopFiles files, String dir, int keepLast) {
        requireKeep(keepLast);
        this.files = files;
        this.dir = dir;
        this.keepLast = keepLast;
    }

    /** Checks a retention setting before any store exists. */
    public static void requireKeep(int keepLast) {
        if (keepLast < 1) throw new IllegalArgumentException("train.keep-checkpoints = " + keepLast + "; keep at least 1 checkpoint");
    }

    public String dir() {
        return dir;
    }

    /** A checkpoint read back, with its size on disk. */
    public record Loaded(String name, TrainState state, long bytes) {
    }

    /** What one write cost. */
    public record Written(String name, long bytes, double seconds, List<String> damagedRemoved) {
    }

    public Written write(TrainState state) {
        long started = System.nanoTime();
        files.mkdirs(dir);
        String tmp = dir + "/.tmp-" + state.name() + "-" + UUID.randomUUID();
        try {
            java.nio.file.Path local = dev.permafrost.io.ProcessTemp.file("ckpt", ".zip");
            byte[] model;
            try {
                Network n = Dl4jNetworks.fromConfig(state.configJson(), state.graph(), state.params());
                Dl4jNetworks.save(n, local);
                model = Files.readAllBytes(local);
            } finally {
                Files.deleteIfExists(local);
            }
            byte[] optimizer = OptimizerStateCodec.encode(state.optimizerStates());
            files.write(tmp, "model.zip", model);
            files.write(tmp, "optimizer.bin", optimizer);
            // The manifest and then its own checksum go last: a folder without them is incomplete by definition.
            byte[] manifest = Manifest.of(state, Sha256.hex(model), Sha256.hex(optimizer)).json().getBytes(StandardCharsets.UTF_8);
            files.write(tmp, "manifest.json", manifest);
            files.write(tmp, MANIFEST_SUM, (Sha256.hex(manifest) + "\n").getBytes(StandardCharsets.US_ASCII));
            String target = dir + "/" + state.name();
            if (files.exists(target)) files.deleteRecursively(target);
            files.rename(tmp, target);
            intact.add(state.name());
            List<String> damaged = retain();
            return new Written(state.name(), model.length + optimizer.length + manifest.length, (System.nanoTime() - started) / 1e9, damaged);
        } catch (IOException e) {
            files.deleteRecursively(tmp);
            throw new UncheckedIOException("cannot write checkpoint " + state.name() + " in " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            files.deleteRecursively(tmp);
            throw e;
        }
    }

    /** Complete checkpoints by name, oldest first. Hidden temporary folders (interrupted writes) are not listed. */
    public List<String> names() {
        return files.list(dir).stream().filter(n -> NAME.matcher(n).matches()).sorted().toList();
    }

    /**
     * The newest checkpoint that reads back intact; damaged ones are reported through {@code report} and skipped in
     * favour of the previous one.
     */
    public Optional<Loaded> latestValid(Consumer<String> report) {
        List<String> names = new ArrayList<>(names());
        names.sort(Comparator.reverseOrder());
        for (String n : names) {
            try {
                return Optional.of(read(n));
            } catch (RuntimeException e) {
                report.accept("checkpoint " + dir + "/" + n + " is damaged (" + e.getMessage() + ")");
            }
        }
        return Optional.empty();
    }

    public Loaded read(String name) {
        String base = dir + "/" + name;
        if (!files.exists(base + "/manifest.json") || !files.exists(base + "/" + MANIFEST_SUM)) {
            throw new IllegalStateException("no manifest.json or " + MANIFEST_SUM + ": the checkpoint is incomplete");
        }
        byte[] manifestBytes = files.read(base + "/manifest.json");
        String expectedSum = new String(files.read(base + "/" + MANIFEST_SUM), StandardCharsets.US_ASCII).strip();
        if (!Sha256.hex(manifestBytes).equals(expectedSum)) {
            throw new IllegalStateException("manifest.json has SHA-256 " + Sha256.hex(manifestBytes) + ", " + MANIFEST_SUM + " says " + expectedSum);
        }
        Manifest m = Manifest.parse(new String(manifestBytes, StandardCharsets.UTF_8));
        byte[] model = verified(base, "model.zip", m.sha256());
        byte[] optimizer = verified(base, "optimizer.bin", m.sha256());
        float[] params;
        String config;
        boolean graph;
        List<String> names;
        try {
            java.nio.file.Path local = dev.permafrost.io.ProcessTemp.file("ckpt", ".zip");
            try {
                Files.write(local, model);
                Network n = Dl4jNetworks.load(local);
                params = n.paramsCopy();
                config = Dl4jNetworks.configJson(n);
                graph = Dl4jNetworks.isGraph(n);
                names = n.params().names();
            } finally {
                Files.deleteIfExists(local);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!m.paramNames().equals(names)) throw new IllegalStateException("model.zip's parameters do not match the manifest's");
        List<TrainState.ShardRecord> shards = new ArrayList<>();
        for (Manifest.ShardEntry entry : m.shards()) {
            TrainState.ShardRecord rec = entry.record();
            long actual = Fingerprint.of(params, Math.toIntExact(rec.offset()), rec.length());
            if (actual != rec.fingerprint()) {
                throw new IllegalStateException("shard at " + rec.offset() + " fingerprints " + Fingerprint.hex(actual) + ", the manifest says "
                        + Fingerprint.hex(rec.fingerprint()));
            }
            shards.add(rec);
        }
        Map<Integer, ShardState> states = OptimizerStateCodec.decode(optimizer);
        requireStateOnlyForOptimizerShards(states, shards);
        TrainState s = new TrainState(m.version(), m.epoch(), m.epochStartVersion(), m.seed(), m.phase(), config, graph, params, names,
                m.parsedLabels(), m.schedule(), shards, m.optimizer(), states, m.meanLoss(),
                new JobIdentity(m.job()));
        intact.add(name);
        return new Loaded(name, s, model.length + optimizer.length);
    }

    /**
     * Keeps the newest {@code keepLast} intact checkpoints and the intact one with the lowest mean loss; removes the other
     * intact ones, and every damaged one (none can be resumed from), so a damaged checkpoint never holds the place of a
     * valid one. Returns the names of the damaged ones removed.
     */
    private List<String> retain() {
        List<String> valid = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        for (String n : names()) (intact(n) ? valid : damaged).add(n);
        damaged.forEach(n -> files.deleteRecursively(dir + "/" + n));
        if (valid.size() <= keepLast) return damaged;
        String best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (String n : valid) {
            double loss = Manifest.parse(new String(files.read(dir + "/" + n + "/manifest.json"), StandardCharsets.UTF_8)).meanLoss();
            if (loss < bestLoss) {
                bestLoss = loss;
                best = n;
            }
        }
        for (String n : valid.subList(0, valid.size() - keepLast)) {
            if (!n.equals(best)) {
                files.deleteRecursively(dir + "/" + n);
                intact.remove(n);
            }
        }
        return damaged;
    }

    /**
     * Whether a checkpoint's manifest matches its checksum and every file its manifest's SHA-256; remembered once
     * seen, so retention reads each checkpoint's bytes once per process.
     */
    boolean intact(String name) {
        if (intact.contains(name)) return true;
        String base = dir + "/" + name;
        try {
            byte[] manifestBytes = files.read(base + "/manifest.json");
            String expectedSum = new String(files.read(base + "/" + MANIFEST_SUM), StandardCharsets.US_ASCII).strip();
            if (!Sha256.hex(manifestBytes).equals(expectedSum)) return false;
            Manifest m = Manifest.parse(new String(manifestBytes, StandardCharsets.UTF_8));
            verified(base, "model.zip", m.sha256());
            verified(base, "optimizer.bin", m.sha256());
        } catch (RuntimeException damaged) {
            return false;
        }
        intact.add(name);
        return true;
    }

    /**
     * The hidden temporary folders of checkpoint writes in {@code dir} that never finished (a killed run's). Remove them
     * only while holding the run's output lock, so no live writer's folder is removed.
     */
    public static List<String> unfinishedWrites(HadoopFiles files, String dir) {
        return files.list(dir).stream().filter(n -> n.startsWith(".tmp-")).toList();
    }

    private byte[] verified(String base, String file, java.util.Map<String, String> sums) {
        if (!files.exists(base + "/" + file)) throw new IllegalStateException(file + " is missing");
        byte[] bytes = files.read(base + "/" + file);
        String expected = sums.getOrDefault(file, "");
        String actual = Sha256.hex(bytes);
        if (!actual.equals(expected)) throw new IllegalStateException(file + " has SHA-256 " + actual + ", the manifest says " + expected);
        return bytes;
    }

    /** Frozen shards and running statistics have no optimizer state: a checkpoint holding some for them is not ours. */
    private static void requireStateOnlyForOptimizerShards(Map<Integer, ShardState> states, List<TrainState.ShardRecord> shards) {
        for (int index : states.keySet()) {
            if (index < 0 || index >= shards.size()) throw new IllegalStateException("optimizer.bin holds state for shard " + index
                    + ", which the manifest does not have");
            TrainState.ShardRecord shard = shards.get(index);
            if (shard.label() == Label.FROZEN || shard.statistic()) {
                throw new IllegalStateException("optimizer.bin holds state for shard " + index + " at " + shard.offset() + ", which is "
                        + (shard.statistic() ? "a running statistic" : "frozen") + " and has none");
            }
        }
    }

}
