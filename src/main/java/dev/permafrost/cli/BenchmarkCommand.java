package dev.permafrost.cli;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.ModelSpec;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.spark.SparkEpochRunner;
import dev.permafrost.spark.SparkSessions;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.LocalTrainer;
import dev.permafrost.train.ThreadEpochRunner;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.learning.config.Adam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.DoubleSupplier;

/**
 * Training throughput side by side in one run, on the same data and global batch: plain DL4J {@code fit} (the
 * baseline), Permafrost's single-process trainer, the distributed path over gRPC with worker threads, and Spark
 * barrier epochs in local mode; each with everything trainable and with {@code pretrained.*} frozen. Ratios are to
 * the baseline measured in the same run.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Measure training throughput of each path side by side and write the ratios to a Markdown file.")
final class BenchmarkCommand implements Callable<Integer> {
    @Option(names = "--rows", defaultValue = "12800", description = "Training rows per timed epoch (default ${DEFAULT-VALUE}).")
    int rows;
    @Option(names = "--repeats", defaultValue = "3", description = "Timed epochs per path; the median is reported (default ${DEFAULT-VALUE}).")
    int repeats;
    @Option(names = "--report", paramLabel = "FILE", defaultValue = "BENCHMARKS.md",
            description = "Markdown file to write (default ${DEFAULT-VALUE}).")
    Path report;
    @Mixin
    IdxOption idx;

    private record Row(String path, String freezing, double samplesPerSecond) {
    }

    private double fingerprintMicros;
    private static long frozenElements;

    @Override
    public Integer call() throws Exception {
        LabeledData train = FashionMnist.load(idx.idx, FashionMnist.Split.TRAIN).head(rows);
        ModelSpec spec = ModelSpec.fashion(10);
        List<Row> results = new ArrayList<>();
        SparkSession spark = SparkSessions.start("local[2]", "permafrost benchmark");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        var sparkRows = SparkSessions.rows(sc, train, 4);
        try {
            for (boolean frozen : new boolean[]{false, true}) {
                String freezing = frozen ? "pretrained.* frozen" : "all trainable";
                FreezeSchedule schedule = frozen ? FreezeSchedule.constant(FreezePlan.freezing("pretrained.*")) : FreezeSchedule.constant(FreezePlan.NOTHING_FROZEN);
                OptimizerConfig adam = OptimizerConfig.Adam.adam(1e-3);
                results.add(new Row("DL4J `fit`, one JVM, batch 64 (baseline)", freezing, median(() -> dl4jFit(spec, train, frozen))));
                results.add(new Row("Permafrost single-process trainer, W=1 x 64", freezing, median(() -> {
                    var c = new TrainingConfig(1, 64, 1, 42, adam, schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
                    long t = System.nanoTime();
                    new LocalTrainer(c).fit(Dl4jNetworks.of(spec.build(42)), train, TrainingListener.NONE);
                    return train.size() / ((System.nanoTime() - t) / 1e9);
                })));
                // The distributed paths run with the full audit (every push carries every frozen fingerprint), as jobs do
                // by default; with frozen shards they also run thinned (train.audit-every = 50), to show what the audit costs.
                for (int auditEvery : frozen ? new int[]{1, 50} : new int[]{1}) {
                    var c = new TrainingConfig(2, 32, 1, 42, adam, schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, auditEvery);
                    String audit = auditEvery == 1 ? ", audit every step" : ", audit every " + auditEvery + " steps";
                    results.add(new Row("Permafrost distributed, 2 worker threads over gRPC, W=2 x 32" + audit, freezing, median(() -> {
                        try (ThreadEpochRunner runner = new ThreadEpochRunner(train, 2)) {
                            return distributed(c, spec, train.size(), runner);
                        }
                    })));
                    results.add(new Row("Permafrost on Spark local[2], barrier epoch, W=2 x 32" + audit, freezing, median(() -> {
                        try (SparkEpochRunner runner = new SparkEpochRunner(sc, sparkRows, train.width(), train.classes())) {
                            return distributed(c, spec, train.size(), runner);
                        }
                    })));
                }
            }
            fingerprintMicros = fingerprintMicros(spec);
        } finally {
            spark.stop();
        }
        String md = markdown(results);
        Files.writeString(report, md, StandardCharsets.UTF_8);
        System.out.print(md);
        return 0;
    }

    /** Samples/s of one distributed epoch, its fixed costs included. */
    private static double distributed(TrainingConfig c, ModelSpec spec, int rows, dev.permafrost.train.EpochRunner runner) {
        long t = System.nanoTime();
        new DistributedTrainer(c, "127.0.0.1", 1).fit(Dl4jNetworks.of(spec.build(42)), rows, runner, TrainingListener.NONE);
        return rows / ((System.nanoTime() - t) / 1e9);
    }

    /** Median microseconds to fingerprint every frozen shard of the demo network once: what one audited push adds. */
    private static double fingerprintMicros(ModelSpec spec) {
        var net = Dl4jNetworks.of(spec.build(42));
        var layout = ShardLayout.plan(net.params(), FreezePlan.freezing("pretrained.*").resolve(net.params()));
        java.nio.FloatBuffer flat = net.paramsView(); // as workers read it: the network's own memory, no copy
        double[] micros = new double[501];
        long sink = 0;
        for (int i = 0; i < micros.length; i++) {
            long t = System.nanoTime();
            for (long fingerprint : dev.permafrost.shard.Fingerprint.ofFrozen(flat, layout).values()) sink += fingerprint;
            micros[i] = (System.nanoTime() - t) / 1e3;
        }
        if (sink == 42) System.out.print(""); // keeps the loop from being optimised away
        java.util.Arrays.sort(micros);
        frozenElements = layout.elements(dev.permafrost.freeze.Label.FROZEN);
        return micros[micros.length / 2];
    }

    private static double dl4jFit(ModelSpec spec, LabeledData train, boolean frozen) {
        MultiLayerNetwork net = spec.build(42, new Adam(1e-3));
        if (frozen) net = new TransferLearning.Builder(net).setFeatureExtractor(2).build();
        int[] order = new int[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        long t = System.nanoTime();
        for (int from = 0; from + 64 <= order.length; from += 64) net.fit(train.batch(order, from, from + 64));
        return (order.length / 64 * 64) / ((System.nanoTime() - t) / 1e9);
    }

    /** One untimed warm-up run, then the median of the timed ones: the JIT and native libraries settle first. */
    private double median(DoubleSupplier run) {
        run.getAsDouble();
        double[] r = new double[repeats];
        for (int i = 0; i < repeats; i++) r[i] = run.getAsDouble();
        java.util.Arrays.sort(r);
        return r[repeats / 2];
    }

    /** The audit's cost, from this run: the fingerprint time per push, and the full against the thinned audit on Spark. */
    private String auditCost(List<Row> results) {
        double full = rate(results, "Permafrost on Spark local[2], barrier epoch, W=2 x 32, audit every step");
        double thin = rate(results, "Permafrost on Spark local[2], barrier epoch, W=2 x 32, audit every 50 steps");
        double stepMicros = 64 / full * 1e6;
        return String.format(Locale.ROOT, "%nThe audit's cost: fingerprinting the %,d frozen floats of one push as workers do (XXH64 over "
                + "their raw bits, read from the network's own parameter memory) "
                + "takes %.0f µs (median of 501), %.1f%% of a %.1f ms step of the Spark path with pretrained.* frozen, on each worker. "
                + "That path runs at %.2fx with the full audit of its rate with the audit thinned to every 50th step (same run).%n",
                frozenElements, fingerprintMicros, 100 * fingerprintMicros / stepMicros, stepMicros / 1000, full / thin);
    }

    private static double rate(List<Row> results, String path) {
        return results.stream().filter(r -> r.path().equals(path) && r.freezing().equals("pretrained.* frozen")).findFirst().orElseThrow()
                .samplesPerSecond();
    }

    private String markdown(List<Row> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Benchmarks\n\n");
        sb.append("Written by `deploy/permafrost benchmark` (").append(getClass().getSimpleName()).append("): training throughput of each path, ")
                .append("measured side by side in one run on the same data. Fashion-MNIST, the demo network (Dense 784-256, BatchNorm, ")
                .append("Dense 256-128, Output 10), Adam lr 1e-3, global batch 64, ").append(String.format(Locale.ROOT, "%,d", rows))
                .append(" rows per epoch, median of ").append(repeats).append(" timed epochs after one warm-up; ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, OMP_NUM_THREADS=")
                .append(System.getenv().getOrDefault("OMP_NUM_THREADS", "unset")).append(". A ratio is samples/s over the DL4J baseline ")
                .append("of the same freezing in the same run; the machines are shared, so only ratios carry over.\n\n");
        sb.append("| path | freezing | samples/s | ratio to DL4J `fit` |\n|---|---|---:|---:|\n");
        for (Row r : results) {
            double base = results.stream().filter(b -> b.freezing().equals(r.freezing())).findFirst().orElseThrow().samplesPerSecond();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.2f |%n", r.path(), r.freezing(), r.samplesPerSecond(), r.samplesPerSecond() / base));
        }
        sb.append("\nThe distributed rows include each epoch's fixed costs: starting the parameter service, broadcasting the model, ")
                .append("building the workers' networks and, on Spark, routing the rows to the workers' partitions.\n");
        sb.append(auditCost(results));
        return sb.toString();
    }
}
