package dev.permafrost.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.permafrost.data.HadoopFiles;
import dev.permafrost.freeze.Label;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.train.Dl4jNetworks;
import dev.permafrost.train.Network;
import dev.permafrost.train.TrainState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

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
    private static final String FORMAT = "permafrost-checkpoint/1";
    private static final Pattern NAME = Pattern.compile("ckpt-(\\d{12})");

    private final HadoopFiles files;
    private final String dir;
    private final int keepLast;

    public CheckpointStore(HadoopFiles files, String dir, int keepLast) {
        if (keepLast < 1) throw new IllegalArgumentException("keep at least 1 checkpoint, got " + keepLast);
        this.files = files;
        this.dir = dir;
        this.keepLast = keepLast;
    }

    public String dir() {
        return dir;
    }

    /** A checkpoint read back, with its size on disk. */
    public record Loaded(String name, TrainState state, long bytes) {
    }

    /** What one write cost. */
    public record Written(String name, long bytes, double seconds) {
    }

    public Written write(TrainState s) {
        long started = System.nanoTime();
        files.mkdirs(dir);
        String tmp = dir + "/.tmp-" + s.name() + "-" + UUID.randomUUID();
        try {
            java.nio.file.Path local = Files.createTempFile("permafrost-ckpt", ".zip");
            byte[] model;
            try {
                Network n = Dl4jNetworks.fromConfig(s.configJson(), s.graph(), s.params());
                Dl4jNetworks.save(n, local);
                model = Files.readAllBytes(local);
            } finally {
                Files.deleteIfExists(local);
            }
            byte[] optimizer = OptimizerStateCodec.encode(s.optimizerStates());
            files.write(tmp, "model.zip", model);
            files.write(tmp, "optimizer.bin", optimizer);
            // The manifest goes last: a folder without one is incomplete by definition.
            byte[] manifest = manifest(s, sha256(model), sha256(optimizer)).getBytes(StandardCharsets.UTF_8);
            files.write(tmp, "manifest.json", manifest);
            String target = dir + "/" + s.name();
            if (files.exists(target)) files.deleteRecursively(target);
            files.rename(tmp, target);
            retain();
            return new Written(s.name(), model.length + optimizer.length + manifest.length, (System.nanoTime() - started) / 1e9);
        } catch (IOException e) {
            files.deleteRecursively(tmp);
            throw new UncheckedIOException("cannot write checkpoint " + s.name() + " in " + dir + ": " + e.getMessage(), e);
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
                report.accept("checkpoint " + dir + "/" + n + " is damaged (" + e.getMessage() + "); trying the one before it");
            }
        }
        return Optional.empty();
    }

    public Loaded read(String name) {
        String base = dir + "/" + name;
        if (!files.exists(base + "/manifest.json")) throw new IllegalStateException("no manifest.json: the checkpoint is incomplete");
        JsonObject m;
        try {
            m = JsonParser.parseString(new String(files.read(base + "/manifest.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalStateException("manifest.json is not valid JSON: " + e.getMessage(), e);
        }
        if (!m.has("format") || !FORMAT.equals(m.get("format").getAsString())) {
            throw new IllegalStateException("manifest.json is not of format " + FORMAT);
        }
        JsonObject sums = m.getAsJsonObject("sha256");
        byte[] model = verified(base, "model.zip", sums);
        byte[] optimizer = verified(base, "optimizer.bin", sums);
        float[] params;
        String config;
        boolean graph;
        List<String> names;
        try {
            java.nio.file.Path local = Files.createTempFile("permafrost-ckpt", ".zip");
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
        List<String> savedNames = strings(m.getAsJsonArray("paramNames"));
        if (!savedNames.equals(names)) throw new IllegalStateException("model.zip's parameters do not match the manifest's");
        List<Label> labels = strings(m.getAsJsonArray("labels")).stream().map(l -> Label.valueOf(l.toUpperCase(java.util.Locale.ROOT))).toList();
        List<TrainState.ShardRecord> shards = new ArrayList<>();
        for (var e : m.getAsJsonArray("shards")) {
            JsonObject o = e.getAsJsonObject();
            var rec = new TrainState.ShardRecord(o.get("offset").getAsLong(), o.get("length").getAsInt(), o.get("statistic").getAsBoolean(),
                    Label.valueOf(o.get("label").getAsString().toUpperCase(java.util.Locale.ROOT)), Long.parseUnsignedLong(o.get("fingerprint").getAsString(), 16));
            long actual = Fingerprint.of(params, Math.toIntExact(rec.offset()), rec.length());
            if (actual != rec.fingerprint()) {
                throw new IllegalStateException("shard at " + rec.offset() + " fingerprints " + Fingerprint.hex(actual) + ", the manifest says "
                        + Fingerprint.hex(rec.fingerprint()));
            }
            shards.add(rec);
        }
        List<TrainState.SchedulePhase> schedule = new ArrayList<>();
        for (var e : m.getAsJsonArray("schedule")) {
            JsonObject o = e.getAsJsonObject();
            schedule.add(new TrainState.SchedulePhase(o.get("fromEpoch").getAsInt(), strings(o.getAsJsonArray("freeze")),
                    strings(o.getAsJsonArray("keepTrainable"))));
        }
        TrainState s = new TrainState(m.get("version").getAsLong(), m.get("epoch").getAsInt(), m.get("epochStartVersion").getAsLong(),
                m.get("seed").getAsLong(), m.get("phase").getAsInt(), config, graph, params, names, labels, schedule, shards,
                m.get("optimizer").getAsString(), OptimizerStateCodec.decode(optimizer), m.get("meanLoss").getAsDouble());
        return new Loaded(name, s, model.length + optimizer.length);
    }

    /** Keeps the newest {@code keepLast} checkpoints and the one with the lowest mean loss; removes the rest. */
    private void retain() {
        List<String> all = names();
        if (all.size() <= keepLast) return;
        String best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (String n : all) {
            try {
                JsonObject m = JsonParser.parseString(new String(files.read(dir + "/" + n + "/manifest.json"), StandardCharsets.UTF_8)).getAsJsonObject();
                double loss = m.get("meanLoss").getAsDouble();
                if (loss < bestLoss) {
                    bestLoss = loss;
                    best = n;
                }
            } catch (RuntimeException damaged) {
                // a damaged checkpoint is never the best one
            }
        }
        for (String n : all.subList(0, all.size() - keepLast)) {
            if (!n.equals(best)) files.deleteRecursively(dir + "/" + n);
        }
    }

    private byte[] verified(String base, String file, JsonObject sums) {
        if (!files.exists(base + "/" + file)) throw new IllegalStateException(file + " is missing");
        byte[] bytes = files.read(base + "/" + file);
        String expected = sums.has(file) ? sums.get(file).getAsString() : "";
        String actual = sha256(bytes);
        if (!actual.equals(expected)) throw new IllegalStateException(file + " has SHA-256 " + actual + ", the manifest says " + expected);
        return bytes;
    }

    private static String manifest(TrainState s, String modelSha, String optimizerSha) {
        JsonObject m = new JsonObject();
        m.addProperty("format", FORMAT);
        m.addProperty("version", s.version());
        m.addProperty("epoch", s.epoch());
        m.addProperty("epochStartVersion", s.epochStartVersion());
        m.addProperty("stepInEpoch", s.stepInEpoch());
        m.addProperty("seed", s.seed());
        m.addProperty("phase", s.phase());
        m.addProperty("optimizer", s.optimizer());
        m.addProperty("meanLoss", s.meanLoss());
        JsonArray names = new JsonArray();
        s.paramNames().forEach(names::add);
        m.add("paramNames", names);
        JsonArray labels = new JsonArray();
        s.labels().forEach(l -> labels.add(l.text()));
        m.add("labels", labels);
        JsonArray schedule = new JsonArray();
        for (var p : s.schedule()) {
            JsonObject o = new JsonObject();
            o.addProperty("fromEpoch", p.fromEpoch());
            JsonArray f = new JsonArray();
            p.freeze().forEach(f::add);
            o.add("freeze", f);
            JsonArray k = new JsonArray();
            p.keepTrainable().forEach(k::add);
            o.add("keepTrainable", k);
            schedule.add(o);
        }
        m.add("schedule", schedule);
        JsonArray shards = new JsonArray();
        for (var r : s.shards()) {
            JsonObject o = new JsonObject();
            o.addProperty("offset", r.offset());
            o.addProperty("length", r.length());
            o.addProperty("statistic", r.statistic());
            o.addProperty("label", r.label().text());
            o.addProperty("fingerprint", Fingerprint.hex(r.fingerprint()));
            shards.add(o);
        }
        m.add("shards", shards);
        JsonObject sums = new JsonObject();
        sums.addProperty("model.zip", modelSha);
        sums.addProperty("optimizer.bin", optimizerSha);
        m.add("sha256", sums);
        return new GsonBuilder().setPrettyPrinting().create().toJson(m);
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        if (a != null) a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
