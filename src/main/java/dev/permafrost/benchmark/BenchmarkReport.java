package dev.permafrost.benchmark;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** BENCHMARKS.md from one benchmark run: every number in it was measured by that run. */
public final class BenchmarkReport {
    public static final String ALL_TRAINABLE = "all trainable";

    /** The measured paths, in report order. */
    public enum TrainingPath {
        DL4J_1("DL4J `fit`, one JVM, 1 BLAS thread"),
        DL4J_2("DL4J `fit`, one JVM, 2 BLAS threads"),
        ANCHOR("dl4j-spark 1.0.0-M2 `ParameterAveragingTrainingMaster`, Spark local[2], W=2 (anchor)"),
        PERMAFROST("Permafrost, Spark local[2], W=2"),
        FEATURIZED("Permafrost, Spark local[2], W=2, featurize-once");

        public final String label;

        TrainingPath(String label) {
            this.label = label;
        }

        public static TrainingPath dl4j(int threads) {
            return threads == 1 ? DL4J_1 : DL4J_2;
        }
    }

    public record Row(TrainingPath path, String freezing, int batch, TrainingPaths.Measured measured) {
    }

    private final int rows;
    private final int cnnRows;
    private final String cnnSetup;
    private final int epochs;
    private final int anchorEpochs;
    private final boolean anchor;
    private final List<Row> results;
    private final List<String> notes;
    private final Optional<String> kernels;

    public BenchmarkReport(int rows, int cnnRows, String cnnSetup, int epochs, int anchorEpochs, boolean anchor, List<Row> results, List<String> notes, Optional<String> kernels) {
        this.rows = rows;
        this.cnnRows = cnnRows;
        this.cnnSetup = cnnSetup;
        this.epochs = epochs;
        this.anchorEpochs = anchorEpochs;
        this.anchor = anchor;
        this.results = List.copyOf(results);
        this.notes = List.copyOf(notes);
        this.kernels = kernels;
    }

    /** The better of the two DL4J {@code fit} rows of the same batch and freezing. */
    private double baseline(Row r) {
        return results.stream().filter(b -> b.batch() == r.batch() && b.freezing().equals(r.freezing())
                        && (b.path() == TrainingPath.DL4J_1 || b.path() == TrainingPath.DL4J_2))
                .mapToDouble(b -> b.measured().samplesPerSecond()).max().orElse(Double.NaN);
    }

    private Optional<Double> anchorRate(Row r) {
        return results.stream().filter(b -> b.batch() == r.batch() && b.freezing().equals(r.freezing()) && b.path() == TrainingPath.ANCHOR)
                .map(b -> b.measured().samplesPerSecond()).findFirst();
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder("# Benchmarks\n\n");
        sb.append(String.format(Locale.ROOT, "Written by `deploy/permafrost benchmark` in one run: Fashion-MNIST classes 5-9, %,d training rows "
                        + "per epoch, the demo network (Dense 784-256, BatchNorm, Dense 256-128, Output 5), Adam lr 1e-3. Every path "
                        + "trains from the same parameters: a fresh model (seed 42) when all is trainable, a model pretrained for one epoch "
                        + "on classes 0-4 when `pretrained.*` (the first three layers) is frozen. Samples/s is the median of %d epochs after "
                        + "one warm-up epoch (the anchor: %d after one); accuracy is on the 5,000 test rows of classes 5-9. %d cores, "
                        + "OMP_NUM_THREADS=%s. Ratios are to the better DL4J `fit` row of the same batch and freezing (the baseline) and to "
                        + "the dl4j-spark anchor, both measured in this run; the machines are shared, so only ratios carry over.%n%n",
                rows, epochs - 1, anchorEpochs, Runtime.getRuntime().availableProcessors(), System.getenv().getOrDefault("OMP_NUM_THREADS", "unset")));
        if (cnnRows > 0) {
            sb.append(String.format(Locale.ROOT, "The rows marked CNN train the convolutional network of %s on the first %,d rows, from a "
                    + "fresh model (all trainable) or from one pretrained for one epoch on classes 0-4 (frozen); their baseline is DL4J "
                    + "`fit` of the same network, in this run.%n%n", cnnSetup, cnnRows));
        }
        sb.append("| global batch | freezing | path | samples/s | first epoch (s) | test accuracy | frozen bit-identical | bytes/step/worker "
                + "| × baseline | × anchor |\n|---:|---|---|---:|---:|---:|---|---:|---:|---:|\n");
        for (Row r : results) {
            var m = r.measured();
            double rate = m.samplesPerSecond();
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %,.0f | %s | %.4f | %s | %s | %.2f | %s |%n", r.batch(), r.freezing(), r.path().label,
                    rate, Double.isNaN(m.firstEpochSeconds()) ? "—" : String.format(Locale.ROOT, "%.1f", m.firstEpochSeconds()), m.testAccuracy(),
                    m.frozenIdentical().map(b -> b ? "yes" : "**no**").orElse("—"),
                    m.bytesPerStepPerWorker().map(b -> String.format(Locale.ROOT, "%,d", b)).orElse("—"), rate / baseline(r),
                    anchorRate(r).map(a -> String.format(Locale.ROOT, "%.1f", rate / a)).orElse("—")));
        }
        if (!anchor) sb.append("\nThe anchor was not run (no `--anchor-classpath`; `deploy/permafrost benchmark` passes it).\n");
        sb.append("\n## Where a Permafrost step's time goes\n\nThe run's own per-step breakdown (metrics.json records the same), per row above:\n\n");
        for (Row r : results) {
            r.measured().stepLine().ifPresent(line -> sb.append("- batch ").append(r.batch()).append(", ").append(r.freezing())
                    .append(r.path() == TrainingPath.FEATURIZED ? ", featurize-once" : "").append(": ").append(line).append('\n'));
        }
        if (!notes.isEmpty()) {
            sb.append("\nFeaturize-once, as the runs logged it:\n\n");
            for (String n : notes) sb.append("- ").append(n).append('\n');
        }
        kernels.ifPresent(k -> sb.append("\n## Optimizer kernels\n\n").append(k));
        return sb.toString();
    }

    /**
     * The JMH results of the kernel benchmark as a table: per shard size, each kernel's throughput and Permafrost's
     * kernels against ND4J's Adam updater op (above 1.00: Permafrost is faster).
     */
    public static String kernelTable(Path jmhJson) {
        String json;
        try {
            json = Files.readString(jmhJson, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("--kernels " + jmhJson + ": " + e.getMessage(), e);
        }
        Map<Long, Map<String, Double>> bySize = new TreeMap<>();
        String unit = "";
        for (JsonElement e : JsonParser.parseString(json).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            String name = o.get("benchmark").getAsString();
            name = name.substring(name.lastIndexOf('.') + 1);
            long size = Long.parseLong(o.getAsJsonObject("params").get("size").getAsString());
            JsonObject metric = o.getAsJsonObject("primaryMetric");
            unit = metric.get("scoreUnit").getAsString();
            double score = metric.get("score").getAsDouble();
            // Throughput units (ops/time) are kept; time per op is turned into ops per second for the table.
            double opsPerSecond = unit.startsWith("ops/") ? score * perSecond(unit.substring(4)) : 1 / (score / perSecond(unit.substring(0, unit.indexOf('/'))));
            bySize.computeIfAbsent(size, k -> new TreeMap<>()).put(name, opsPerSecond);
        }
        StringBuilder sb = new StringBuilder("JMH, one thread, from the same run's `").append(jmhJson.getFileName())
                .append("` (JMH's unit: ").append(unit).append("). Steps per second over one shard; ratio to ND4J's `AdamUpdater` op on the same shard:\n\n");
        var names = bySize.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
        String nd4j = names.stream().filter(n -> n.toLowerCase(Locale.ROOT).contains("nd4j")).findFirst().orElse("");
        sb.append("| shard elements |");
        for (String n : names) sb.append(' ').append(n).append(" (steps/s) |");
        for (String n : names) if (!n.equals(nd4j) && !nd4j.isEmpty()) sb.append(' ').append(n).append(" × ND4J |");
        sb.append("\n|---:|");
        sb.append("---:|".repeat(names.size() + (nd4j.isEmpty() ? 0 : names.size() - 1))).append('\n');
        for (var e : bySize.entrySet()) {
            sb.append(String.format(Locale.ROOT, "| %,d |", e.getKey()));
            for (String n : names) sb.append(String.format(Locale.ROOT, " %,.1f |", e.getValue().getOrDefault(n, Double.NaN)));
            for (String n : names) {
                if (!n.equals(nd4j) && !nd4j.isEmpty()) {
                    sb.append(String.format(Locale.ROOT, " %.2f |", e.getValue().getOrDefault(n, Double.NaN) / e.getValue().getOrDefault(nd4j, Double.NaN)));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The heading of the hand-kept record of changes and their effects, which a rewrite keeps as it is. */
    public static final String CHANGE_LOG = "## Changes, predicted and measured";

    /** The existing report's change record (from its heading to the end), or nothing. */
    public static String keptChangeLog(Path report) {
        try {
            if (!Files.exists(report)) return "";
            String old = Files.readString(report, StandardCharsets.UTF_8);
            int at = old.indexOf(CHANGE_LOG);
            return at < 0 ? "" : "\n" + old.substring(at);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + report + ": " + e.getMessage(), e);
        }
    }

    private static double perSecond(String timeUnit) {
        return switch (timeUnit) {
            case "s" -> 1;
            case "ms" -> 1e3;
            case "us" -> 1e6;
            case "ns" -> 1e9;
            case "min" -> 1.0 / 60;
            default -> throw new IllegalArgumentException("unknown JMH time unit " + timeUnit);
        };
    }
}
