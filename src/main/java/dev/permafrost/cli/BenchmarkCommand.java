package dev.permafrost.cli;

import dev.permafrost.job.JobSettings;
import dev.permafrost.benchmark.TrainingPaths;
import dev.permafrost.benchmark.BenchmarkReport;
import dev.permafrost.benchmark.AnchorRun;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import dev.permafrost.model.ModelSpec;
import dev.permafrost.spark.SparkSessions;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.Adam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Training throughput side by side in one run, on the same rows, starting parameters and global batch: single-JVM
 * DL4J {@code fit} at 1 and 2 BLAS threads (the better is the baseline), DL4J's own Spark trainer (the anchor, run
 * from the benchmark build's classpath in a JVM of its own), and Permafrost on Spark local[2] at W=2 with and without
 * featurize-once; all trainable, and with {@code pretrained.*} frozen on a model pretrained on the other classes.
 * Rewrites the Markdown report with one table and the ratios, plus the optimizer kernels' JMH results when given.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Measure training throughput of each path side by side and write the ratios to a Markdown file.")
final class BenchmarkCommand implements Callable<Integer> {
    @Option(names = "--rows", defaultValue = "30000", description = "Training rows of classes 5-9 per epoch (default ${DEFAULT-VALUE}: all of them).")
    int rows;
    @Option(names = "--batches", split = ",", defaultValue = "64,256", description = "Global batches to measure (default ${DEFAULT-VALUE}).")
    List<Integer> batches;
    @Option(names = "--epochs", defaultValue = "4", description = "Epochs per path: the first warms up, the median of the rest is reported (default ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--anchor-epochs", defaultValue = "2", description = "Timed epochs of the dl4j-spark anchor, after its warm-up (default ${DEFAULT-VALUE}).")
    int anchorEpochs;
    @Option(names = "--anchor-classpath", paramLabel = "CP", description = "Classpath of the benchmark build (mvn -Pbenchmark), with dl4j-spark; without it the anchor is left out.")
    Optional<String> anchorClasspath;
    @Option(names = "--kernels", paramLabel = "FILE", description = "JMH results (JSON) of the optimizer kernel benchmark, to add to the report.")
    Optional<Path> kernels;
    @Option(names = "--no-kernels", description = "Leave the kernel benchmark out (deploy/permafrost then does not run JMH).")
    boolean noKernels;
    @Option(names = "--report", paramLabel = "FILE", defaultValue = "BENCHMARKS.md", description = "Markdown file to write (default ${DEFAULT-VALUE}).")
    Path report;
    @Option(names = "--cnn-job", paramLabel = "FILE", defaultValue = "jobs/cnn-pretrain.conf",
            description = "Job file whose network the convolutional rows measure (default ${DEFAULT-VALUE}).")
    Path cnnJob;
    @Option(names = "--cnn-rows", defaultValue = "12000", description = "Training rows of classes 5-9 per epoch for the convolutional rows (default ${DEFAULT-VALUE}).")
    int cnnRows;
    @Option(names = "--cnn-batches", split = ",", defaultValue = "64", description = "Global batches for the convolutional rows (default ${DEFAULT-VALUE}).")
    List<Integer> cnnBatches;
    @Option(names = "--cnn-freeze", defaultValue = "backbone.*", description = "What the convolutional frozen case freezes (default ${DEFAULT-VALUE}).")
    String cnnFreeze;
    @Option(names = "--no-cnn", description = "Leave the convolutional network out.")
    boolean noCnn;
    @Mixin
    IdxOption idx;

    @Override
    public Integer call() throws Exception {
        if (rows < 512) throw new IllegalArgumentException("--rows " + rows + ": at least 512 rows are needed for two steps of batch 256");
        if (epochs < 2) throw new IllegalArgumentException("--epochs " + epochs + ": at least 2 (one warm-up, one timed)");
        for (int b : batches) {
            if (b < 2 || b % 2 != 0) throw new IllegalArgumentException("--batches: " + b + " is not an even global batch of at least 2");
        }
        kernels.filter(k -> !noKernels).ifPresent(k -> {
            if (!Files.isReadable(k)) throw new IllegalArgumentException("--kernels " + k + ": no such readable file");
        });
        ModelSpec cnn = null;
        if (!noCnn) {
            if (!Files.isRegularFile(cnnJob)) throw new IllegalArgumentException("--cnn-job " + cnnJob + ": no such file; run from the checkout or pass --no-cnn");
            if (cnnRows < 512) throw new IllegalArgumentException("--cnn-rows " + cnnRows + ": at least 512");
            cnn = JobSettings.load(Optional.of(cnnJob), List.of()).modelSpec();
            if (cnn.classes() != 5 || cnn.inputs() != 784) {
                throw new IllegalArgumentException("--cnn-job " + cnnJob + ": its network must read 784 values (1x28x28) and have a 5-class output "
                        + "layer; it reads " + cnn.inputs() + " and has " + cnn.classes());
            }
            dev.permafrost.freeze.FreezePlan.freezing(cnnFreeze).resolve(dev.permafrost.network.Dl4jNetworks.of(cnn.build(42)).params()); // a pattern that matches nothing fails here
        }
        LabeledData allTrain = FashionMnist.load(idx.idx, FashionMnist.Split.TRAIN, new FashionMnist.ClassRange(5, 9));
        LabeledData test = FashionMnist.load(idx.idx, FashionMnist.Split.TEST, new FashionMnist.ClassRange(5, 9));
        LabeledData pretrainRows = FashionMnist.load(idx.idx, FashionMnist.Split.TRAIN, new FashionMnist.ClassRange(0, 4));
        TrainingPaths.threads(1);
        List<BenchmarkReport.Row> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Optional<AnchorRun> anchor = Optional.empty();
        SparkSession spark = SparkSessions.start("local[2]", "permafrost benchmark");
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            ModelSpec mlp = ModelSpec.fashion(5); // the class ranges are numbered 0-4 on load
            float[] mlpPretrained = pretrain(mlp, pretrainRows, "the demo network");
            anchor = anchorClasspath.map(cp -> new AnchorRun(cp, idx.idx, rows, anchorEpochs, mlpPretrained));
            measure(sc, new Model("", mlp, "pretrained.*", mlpPretrained), allTrain.head(rows), test, batches, anchor, results, notes);
            if (cnn != null) {
                float[] cnnPretrained = pretrain(cnn, pretrainRows, "the convolutional network of " + cnnJob);
                measure(sc, new Model("CNN, ", cnn, cnnFreeze, cnnPretrained), allTrain.head(cnnRows), test, cnnBatches, Optional.empty(),
                        results, notes);
            }
        } finally {
            spark.stop();
        }
        Optional<Path> kernelResults = noKernels ? Optional.empty() : kernels;
        String md = new BenchmarkReport(rows, noCnn ? 0 : cnnRows, noCnn ? "" : cnnJob + " with " + cnnFreeze + " frozen", epochs, anchorEpochs, anchor.isPresent(), results, notes,
                kernelResults.map(BenchmarkReport::kernelTable)).markdown() + BenchmarkReport.keptChangeLog(report);
        Files.writeString(report, md, StandardCharsets.UTF_8);
        System.out.print(md);
        return 0;
    }

    /** A network the benchmark measures: its label in the freezing column, spec, frozen block and pretrained start. */
    private record Model(String label, ModelSpec spec, String frozenPattern, float[] pretrained) {
    }

    /** Every path for one network, all trainable and with its block frozen, at each global batch. */
    private void measure(JavaSparkContext sc, Model model, LabeledData train, LabeledData test, List<Integer> globalBatches,
                         Optional<AnchorRun> anchor, List<BenchmarkReport.Row> results, List<String> notes) throws java.io.IOException, InterruptedException {
        TrainingPaths paths = new TrainingPaths(model.spec(), model.frozenPattern(), train, test, epochs);
        float[] fresh = model.spec().build(42).params().dup().data().asFloat();
        var sparkRows = SparkSessions.rows(sc, train, 4).cache();
        sparkRows.count();
        try {
            for (int batch : globalBatches) {
                for (boolean frozen : new boolean[]{false, true}) {
                    float[] start = frozen ? model.pretrained() : fresh;
                    String freezing = model.label() + (frozen ? model.frozenPattern() + " frozen" : BenchmarkReport.ALL_TRAINABLE);
                    for (int threads : new int[]{1, 2}) {
                        progress(batch, freezing, "DL4J fit, " + threads + " BLAS thread(s)");
                        results.add(new BenchmarkReport.Row(BenchmarkReport.TrainingPath.dl4j(threads), freezing, batch, paths.dl4jFit(start, frozen, batch, threads)));
                    }
                    if (anchor.isPresent()) {
                        progress(batch, freezing, "dl4j-spark ParameterAveragingTrainingMaster, W=2");
                        results.add(new BenchmarkReport.Row(BenchmarkReport.TrainingPath.ANCHOR, freezing, batch, anchor.get().run(batch, frozen)));
                    }
                    for (boolean featurize : frozen ? new boolean[]{false, true} : new boolean[]{false}) {
                        progress(batch, freezing, "Permafrost Spark local[2], W=2" + (featurize ? ", featurize-once" : ""));
                        List<String> log = new ArrayList<>();
                        results.add(new BenchmarkReport.Row(featurize ? BenchmarkReport.TrainingPath.FEATURIZED : BenchmarkReport.TrainingPath.PERMAFROST,
                                freezing, batch, paths.permafrost(sc, sparkRows, start, frozen, batch, featurize, log)));
                        log.forEach(line -> notes.add(model.label() + "batch " + batch + ": " + line));
                    }
                }
            }
        } finally {
            sparkRows.unpersist();
        }
    }

    private static void progress(int batch, String freezing, String path) {
        System.err.printf("benchmark: batch %d, %s: %s%n", batch, freezing, path);
    }

    /** One epoch of plain DL4J Adam over classes 0-4: the starting model of the fine-tuning case. */
    private static float[] pretrain(ModelSpec spec, LabeledData data, String what) {
        System.err.println("benchmark: pretraining the frozen case's starting model, " + what + ", on classes 0-4 (one epoch of plain DL4J)");
        MultiLayerNetwork net = spec.build(42, new Adam(1e-3));
        int[] order = dev.permafrost.train.EpochPlan.of(data.size(), 1, 64, 7, 0).order();
        for (int from = 0; from + 64 <= order.length; from += 64) net.fit(data.batch(order, from, from + 64));
        return net.params().dup().data().asFloat();
    }
}
