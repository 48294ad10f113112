package dev.permafrost.registry;

import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The published versions of one model on any Hadoop FileSystem:
 * <pre>
 *   ROOT/NAME/CURRENT                 "vN": the version in use, replaced atomically
 *   ROOT/NAME/vN/                     model.zip, metrics.json, audit.json, record.json, chart.png, report.html
 *   ROOT/NAME/decisions/PARTITION.json what retraining on a data partition decided, written once
 *   ROOT/NAME/runs/PARTITION-...      a run's folder while it trains; a kept run's stays here
 * </pre>
 * A version is published by moving its finished folder to {@code vN} exclusively ({@link HadoopFiles#moveExclusive}):
 * of two runs that started from the same version, exactly one gets the next number. The pointer is then replaced.
 * A reader takes the pointer and moves past every complete later version (one with its {@code record.json}), so a
 * run that stopped between its move and its pointer update, or a pointer written late by a slower run, never hides a
 * published version from {@link #current}; a tool that reads CURRENT directly may briefly see the version before.
 */
public final class ModelRegistry {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern VERSION = Pattern.compile("v([1-9][0-9]*)");

    /** A published version: its number and folder. */
    public record Version(int number, String dir) {
        public String name() {
            return "v" + number;
        }

        public String model() {
            return dir + "/model.zip";
        }
    }

    /** record.json: what a version was trained from ({@code basedOn}; 0 for a first version) and on, and how it scored. */
    public record VersionRecord(int version, int basedOn, String partition, String dataPath, int rows, String rowIndexDigest,
                                String metric, double metricValue, String publishedAt, Map<String, String> job) {
    }

    /** decisions/PARTITION.json: the outcome of retraining on a partition; {@code version} is the one in use after it. */
    public record Decision(String partition, String outcome, int version, String reason, String metric, double current, double candidate,
                           String run, String settingsDigest, String decidedAt) {
    }

    private final HadoopFiles files;
    private final String dir;

    public ModelRegistry(HadoopFiles files, String root, String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("retrain.name = '" + name + "'; use letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
        this.files = files;
        this.dir = root.replaceAll("/+$", "") + "/" + name;
    }

    public String dir() {
        return dir;
    }

    /**
     * The version in use: the pointer's, then every complete version after it ({@code notes} hears of each one the
     * pointer had not reached yet). Empty when nothing is published.
     */
    public Optional<Version> current(Consumer<String> notes) {
        int n = 0;
        String pointer = dir + "/CURRENT";
        if (files.exists(pointer)) {
            String text = new String(files.read(pointer), StandardCharsets.UTF_8).strip();
            Matcher m = VERSION.matcher(text);
            if (!m.matches()) throw new IllegalStateException(pointer + " holds '" + text + "', not a version like v3: repair it by hand");
            n = Integer.parseInt(m.group(1));
            if (!complete(n)) throw new IllegalStateException(pointer + " names " + text + ", but " + versionDir(n) + "/record.json is missing");
        }
        int pointed = n;
        while (complete(n + 1)) n++;
        if (n > pointed) {
            notes.accept("found " + versionDir(n) + " published after " + pointer + " was last written; moving the pointer to v" + n);
            files.replaceAtomically(pointer, ("v" + n + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return n == 0 ? Optional.empty() : Optional.of(new Version(n, versionDir(n)));
    }

    private boolean complete(int n) {
        return files.exists(versionDir(n) + "/record.json");
    }

    private String versionDir(int n) {
        return dir + "/v" + n;
    }

    /** A fresh folder for a run on {@code partition}, unique even when two runs start together. */
    public String runDir(String partition) {
        return dir + "/runs/" + partition + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Publishes the finished run folder {@code runDir} (holding record.json) as version {@code number}: moves it there
     * exclusively and points CURRENT at it. Returns false, publishing nothing, when another run took that number first.
     */
    public boolean publish(String runDir, int number) {
        if (!files.exists(runDir + "/record.json")) throw new IllegalStateException(runDir + " has no record.json: it is not a finished run");
        if (!files.moveExclusive(runDir, versionDir(number))) return false;
        files.replaceAtomically(dir + "/CURRENT", ("v" + number + "\n").getBytes(StandardCharsets.UTF_8));
        // A faster run may have published later versions meanwhile: leave the pointer at the newest, not at ours.
        int newest = number;
        while (complete(newest + 1)) newest++;
        if (newest > number) files.replaceAtomically(dir + "/CURRENT", ("v" + newest + "\n").getBytes(StandardCharsets.UTF_8));
        return true;
    }

    public Optional<Decision> decision(String partition) {
        String path = decisionPath(partition);
        if (!files.exists(path)) return Optional.empty();
        return Optional.of(Json.read(new String(files.read(path), StandardCharsets.UTF_8), Decision.class, path));
    }

    /** Records a partition's decision once; false when one is already there (a concurrent run recorded it first). */
    public boolean recordDecision(Decision d) {
        return files.createExclusive(decisionPath(d.partition()), Json.write(d).getBytes(StandardCharsets.UTF_8));
    }

    private String decisionPath(String partition) {
        return dir + "/decisions/" + partition + ".json";
    }

    public VersionRecord record(Version v) {
        String path = v.dir() + "/record.json";
        return Json.read(new String(files.read(path), StandardCharsets.UTF_8), VersionRecord.class, path);
    }

    /** Every version up to {@code current}, oldest first. */
    public List<VersionRecord> history(Version current) {
        List<VersionRecord> out = new ArrayList<>();
        for (int n = 1; n <= current.number(); n++) out.add(record(new Version(n, versionDir(n))));
        return out;
    }
}
