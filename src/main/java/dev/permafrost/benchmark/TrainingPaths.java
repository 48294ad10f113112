package dev.permafrost.benchmark;

import dev.permafrost.report.RunReport;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.ModelSpec;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Evaluation;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.spark.Example;
import dev.permafrost.spark.SparkEpochRunner;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The paths the benchmark compares, each trained from the same starting parameters on the same rows at the same
 * global batch, timed per epoch: plain DL4J {@code fit} in one JVM, and Permafrost on Spark local[2] at W=2. Each
 * result says how fast the epochs after the warm-up ran, how accurate the model is on the test rows, and whether
 * the frozen parameters kept their bits.
 */
public final class TrainingPaths {

    /**
     * What one path measured: the first epoch's seconds (the warm-up; NaN where not measured) and the timed epochs'
     * seconds, the rows an epoch trains on, test accuracy, whether frozen bits were kept, bytes per step and worker.
     */
    public record Measured(double firstEpochSeconds, List<Double> timedSeconds, int rows, double testAccuracy, Optional<Boolean> frozenIdentical,
                    Optional<Long> bytesPerStepPerWorker, Optional<String> stepLine) {
        /** Samples/s: the median over the timed epochs. */
        double samplesPerSecond() {
            return rows / median(timedSeconds.stream().mapToDouble(Double::doubleValue).toArray());
        }

        public static Measured of(List<Double> epochSeconds, int rows, double accuracy, Optional<Boolean> frozenIdentical, Optional<Long> bytes,
                           Optional<String> stepLine) {
            return new Measured(epochSeconds.get(0), List.copyOf(epochSeconds.subList(1, epochSeconds.size())), rows, accuracy,
                    frozenIdentical, bytes, stepLine);
        }
    }

    private final ModelSpec spec;
    private final String frozenPattern;
    private final LabeledData train;
    private final LabeledData test;
    private final int epochs;

    /** {@code frozenPattern}: what the frozen case freezes, a block at the bottom of the network. */
    public TrainingPaths(ModelSpec spec, String frozenPattern, LabeledData train, LabeledData test, int epochs) {
        this.spec = spec;
        this.frozenPattern = frozenPattern;
        this.train = train;
        this.test = test;
        this.epochs = epochs;
    }

    /** The last layer the frozen pattern covers: DL4J's feature extractor freezes every layer up to it. */
    private int lastFrozenLayer() {
        var table = Dl4jNetworks.of(spec.build(42)).params();
        ParamLabels labels = FreezePlan.freezing(frozenPattern).resolve(table);
        int last = -1;
        for (int p = 0; p < table.size(); p++) if (labels.isFrozen(p)) last = Math.max(last, table.get(p).layerIndex());
        return last;
    }

    /** Plain DL4J {@code fit} with {@code blasThreads} BLAS/OpenMP threads; frozen layers through DL4J's own FrozenLayer. */
    public Measured dl4jFit(float[] start, boolean frozen, int batch, int blasThreads) {
        threads(blasThreads);
        try {
            MultiLayerNetwork net = spec.build(42, new Adam(1e-3));
            net.setParams(Nd4j.createFromArray(start).reshape(1, start.length));
            if (frozen) net = new TransferLearning.Builder(net).setFeatureExtractor(lastFrozenLayer()).build();
            List<Double> seconds = new ArrayList<>();
            int steps = train.size() / batch;
            for (int epoch = 0; epoch < epochs; epoch++) {
                int[] order = dev.permafrost.train.EpochPlan.of(train.size(), 1, batch, 42, epoch).order();
                long t = System.nanoTime();
                for (int s = 0; s < steps; s++) net.fit(train.batch(order, s * batch, (s + 1) * batch));
                seconds.add((System.nanoTime() - t) / 1e9);
            }
            float[] end = net.params().dup().data().asFloat();
            Network trained = Dl4jNetworks.of(net);
            return Measured.of(seconds, steps * batch, Evaluation.accuracy(trained, test),
                    frozen ? Optional.of(frozenKept(start, end)) : Optional.empty(), Optional.empty(), Optional.empty());
        } finally {
            threads(1);
        }
    }

    /** Permafrost on Spark at W=2, each worker taking half the global batch. */
    public Measured permafrost(JavaSparkContext sc, JavaRDD<Example> rows, float[] start, boolean frozen, int batch, boolean featurize,
                        List<String> log) {
        FreezeSchedule schedule = FreezeSchedule.constant(frozen ? FreezePlan.freezing(frozenPattern) : FreezePlan.NOTHING_FROZEN);
        TrainingConfig config = new TrainingConfig(2, batch / 2, epochs, 42, OptimizerConfig.Adam.adam(1e-3), schedule,
                ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        MultiLayerNetwork net = spec.build(42);
        net.setParams(Nd4j.createFromArray(start).reshape(1, start.length));
        EpochClock clock = new EpochClock();
        DistributedTrainer.Result r;
        try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, train.width(), train.classes(), featurize, log::add)) {
            r = new DistributedTrainer(config, "127.0.0.1", 1).fit(Dl4jNetworks.of(net), train.size(), runner, clock);
        }
        float[] end = r.server().assemble();
        return Measured.of(clock.seconds, (train.size() / batch) * batch, Evaluation.accuracy(r.network(), test),
                frozen ? Optional.of(frozenKept(start, end)) : Optional.empty(), Optional.of(r.bytesPushed() / Math.max(1, r.pushes())),
                Optional.of(RunReport.stepLine(r)));
    }

    /** The frozen block's elements keep their raw bits. */
    private boolean frozenKept(float[] start, float[] end) {
        MultiLayerNetwork plain = spec.build(42);
        var table = Dl4jNetworks.of(plain).params();
        ParamLabels labels = FreezePlan.freezing(frozenPattern).resolve(table);
        for (int p = 0; p < table.size(); p++) {
            if (!labels.isFrozen(p)) continue;
            var param = table.get(p);
            int off = Math.toIntExact(param.offset());
            if (dev.permafrost.shard.RawBits.firstDifference(start, off, end, off, Math.toIntExact(param.length())) >= 0) return false;
        }
        return true;
    }

    /** BLAS and OpenMP threads of this JVM's ND4J. */
    public static void threads(int n) {
        Nd4j.factory().blas().setMaxThreads(n);
        Nd4j.getEnvironment().setMaxMasterThreads(n);
    }

    /** Wall time of each epoch, from the trainer's epoch events. */
    private static final class EpochClock implements TrainingListener {
        final List<Double> seconds = new ArrayList<>();
        private long started;

        @Override
        public void onEpochStart(int epoch, ParamLabels labels, ParameterServer.Transition transition, Network network) {
            started = System.nanoTime();
        }

        @Override
        public void onEpochEnd(EpochEnd end) {
            seconds.add((System.nanoTime() - started) / 1e9);
        }
    }

    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
