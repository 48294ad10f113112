package dev.permafrost.checkpoint;

import dev.permafrost.freeze.Label;
import dev.permafrost.io.Json;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.train.TrainState;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A checkpoint's {@code manifest.json}: the training state that is not in {@code model.zip} or {@code optimizer.bin},
 * every shard's fingerprint, and the SHA-256 of those two files. Written last, so a folder without one is incomplete.
 */
record Manifest(String format, long version, int epoch, long epochStartVersion, long stepInEpoch, long seed, int phase,
                String optimizer, double meanLoss, List<String> paramNames, List<String> labels,
                List<TrainState.SchedulePhase> schedule, List<ShardEntry> shards, Map<String, String> job, Map<String, String> sha256) {

    /** Version 2: XXH64 fingerprints and the job's identity. */
    static final String FORMAT = "permafrost-checkpoint/2";

    /** A shard's range, rule, label and fingerprint (16 hex digits). */
    record ShardEntry(long offset, int length, boolean statistic, String label, String fingerprint) {
        static ShardEntry of(TrainState.ShardRecord r) {
            return new ShardEntry(r.offset(), r.length(), r.statistic(), r.label().text(), Fingerprint.hex(r.fingerprint()));
        }

        TrainState.ShardRecord record() {
            return new TrainState.ShardRecord(offset, length, statistic, Manifest.label(label), Long.parseUnsignedLong(fingerprint, 16));
        }
    }

    static Manifest of(TrainState s, String modelSha, String optimizerSha) {
        return new Manifest(FORMAT, s.version(), s.epoch(), s.epochStartVersion(), s.stepInEpoch(), s.seed(), s.phase(), s.optimizer(),
                s.meanLoss(), s.paramNames(), s.labels().stream().map(Label::text).toList(), s.schedule(),
                s.shards().stream().map(ShardEntry::of).toList(), s.job().fields(), checksums(modelSha, optimizerSha));
    }

    /** In a fixed order, so the same state always writes the same manifest bytes. */
    private static Map<String, String> checksums(String modelSha, String optimizerSha) {
        Map<String, String> sums = new LinkedHashMap<>();
        sums.put("model.zip", modelSha);
        sums.put("optimizer.bin", optimizerSha);
        return sums;
    }

    /** Reads and checks a manifest; fails naming what is missing or of another format. */
    static Manifest parse(String json) {
        Manifest m;
        try {
            m = Json.read(json, Manifest.class, "manifest.json");
        } catch (RuntimeException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        if (!FORMAT.equals(m.format())) {
            throw new IllegalStateException("manifest.json is of format '" + m.format() + "', not " + FORMAT + " (written by another "
                    + "version of Permafrost): start over with --fresh");
        }
        return m;
    }

    String json() {
        return Json.write(this);
    }

    List<Label> parsedLabels() {
        return labels.stream().map(Manifest::label).toList();
    }

    private static Label label(String text) {
        return Label.valueOf(text.toUpperCase(Locale.ROOT));
    }
}
