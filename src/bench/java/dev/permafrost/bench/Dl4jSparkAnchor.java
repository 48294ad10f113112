package dev.permafrost.bench;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import dev.permafrost.model.ModelSpec;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The anchor of the benchmark: DL4J's own Spark trainer (dl4j-spark's parameter averaging) on the same network,
 * data and global batch as Permafrost's Spark path, so Permafrost's speed can be read against the trainer DL4J users
 * would otherwise reach for. Spark local[2], two workers; one untimed warm-up epoch (it also pays for DL4J's export of
 * the minibatches to disk), then {@code --epochs} timed {@code fit} calls. Writes a JSON result (see {@link AnchorResult}).
 */
public final class Dl4jSparkAnchor {
    static final long SEED = 42;
    static final int WORKERS = 2;
    /** Layers 0-2 (Dense, BatchNorm, Dense: {@code pretrained.*}) are frozen with {@code --frozen}. */
    static final int LAST_FROZEN = 2;

    private Dl4jSparkAnchor() {
    }

    public static void main(String[] argv) throws Exception {
        AnchorArgs args = AnchorArgs.parse(argv);
        long started = System.nanoTime();
        float[] start = args.params().isPresent() ? StartingParams.read(args.params().get()) : null;
        int classes = args.classes().orElse(start == null ? 10 : classesFor(start.length));
        LabeledData train = FineTuneRows.load(args.idx(), FashionMnist.Split.TRAIN, classes);
        if (args.rows().isPresent()) train = train.head(args.rows().get());
        LabeledData test = FineTuneRows.load(args.idx(), FashionMnist.Split.TEST, classes);
        log("%d training rows (classes 5-9, %d outputs), global batch %d = %d workers x %d, %s", train.size(), classes,
                args.batch(), WORKERS, args.batch() / WORKERS, args.frozen() ? "layers 0-2 frozen" : "all trainable");

        MultiLayerNetwork net = ModelSpec.fashion(classes).build(SEED, new Adam(1e-3));
        if (start != null) net.setParams(Nd4j.createFromArray(start).reshape(1, start.length));
        if (args.frozen()) net = new TransferLearning.Builder(net).setFeatureExtractor(LAST_FROZEN).build();
        FrozenBits before = args.frozen() ? FrozenBits.of(net, LAST_FROZEN) : null;

        try (ScratchDirs scratch = new ScratchDirs()) {
            JavaSparkContext sc = new JavaSparkContext(sparkConf(scratch));
            try {
                Logging.quiet();
                scratch.watchDefaultExport(sc.hadoopConfiguration().get("hadoop.tmp.dir"));
                AnchorResult result = train(sc, net, train, args, scratch);
                MultiLayerNetwork trained = result.network();
                double accuracy = accuracy(trained, test, classes);
                Boolean identical = before == null ? null : before.identical(FrozenBits.of(trained, LAST_FROZEN));
                if (before != null) log("frozen layers 0-2 (%d values) bit-identical after training: %s", before.elements(), identical);
                log("test accuracy %.4f on %d rows", accuracy, test.size());
                result.write(args.out(), accuracy, identical);
            } finally {
                sc.stop();
            }
        }
        log("done in %.1f s; wrote %s", (System.nanoTime() - started) / 1e9, args.out());
    }

    private static AnchorResult train(JavaSparkContext sc, MultiLayerNetwork net, LabeledData train, AnchorArgs args, ScratchDirs scratch) {
        int perWorker = args.batch() / WORKERS;
        // Data parallel at the same global batch as the other paths: each of the 2 workers takes one minibatch of
        // batch/2 rows and the parameters (and Adam's state) are averaged after every step (averagingFrequency 1), so
        // every step consumes exactly one global batch, as Permafrost's synchronous W=2 step does.
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(WORKERS, perWorker)
                .batchSizePerWorker(perWorker)
                .averagingFrequency(1)
                .workerPrefetchNumBatches(0) // one minibatch per worker per step: nothing to prefetch
                .rddTrainingApproach(RDDTrainingApproach.Export) // DL4J's default, stated: minibatches go to disk once
                .exportDirectory(scratch.exportUri())
                .rngSeed(SEED)
                .build();
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(sc, net, master);
        // parallelize(list, 2) already makes the 2 partitions a repartition(2) would, without a shuffle of the data.
        JavaRDD<DataSet> rdd = sc.parallelize(FineTuneRows.shuffledBatches(train, perWorker, SEED), WORKERS).cache();
        rdd.count();

        double warmup = fitSeconds(spark, rdd);
        log("warm-up epoch %.2f s (includes exporting the minibatches)", warmup);
        List<Double> seconds = new ArrayList<>();
        for (int e = 1; e <= args.epochs(); e++) {
            double s = fitSeconds(spark, rdd);
            seconds.add(s);
            log("epoch %d/%d %.2f s, %.0f samples/s", e, args.epochs(), s, train.size() / s);
        }
        master.deleteTempFiles(sc);
        rdd.unpersist();
        return new AnchorResult(spark.getNetwork(), args.batch(), train.size(), warmup, seconds);
    }

    private static double fitSeconds(SparkDl4jMultiLayer spark, JavaRDD<DataSet> rdd) {
        long t = System.nanoTime();
        spark.fit(rdd);
        return (System.nanoTime() - t) / 1e9;
    }

    /** Plain DL4J evaluation on the driver. */
    private static double accuracy(MultiLayerNetwork net, LabeledData test, int classes) {
        Evaluation eval = new Evaluation(classes);
        for (DataSet b : FineTuneRows.batches(test, 1000)) eval.eval(b.getLabels(), net.output(b.getFeatures(), false));
        return eval.accuracy();
    }

    /** The output width whose demo network has {@code length} parameters. */
    private static int classesFor(int length) {
        for (int c : new int[]{10, 5}) {
            if (ModelSpec.fashion(c).build(SEED).numParams() == length) return c;
        }
        throw new IllegalArgumentException("--params holds " + length + " values, which fits neither the 10- nor the 5-class demo network");
    }

    private static SparkConf sparkConf(ScratchDirs scratch) {
        return new SparkConf().setMaster("local[" + WORKERS + "]").setAppName("dl4j-spark anchor")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.local.dir", scratch.sparkLocal().toString());
    }

    static void log(String format, Object... args) {
        System.err.println("anchor: " + String.format(Locale.ROOT, format, args));
    }
}
