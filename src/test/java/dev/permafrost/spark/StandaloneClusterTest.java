package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.ps.CheckedPush;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.LocalTrainer;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Distributed training on a real multi-JVM Spark standalone cluster on loopback: a Master, two Workers, and one
 * executor JVM per Worker. The driver is this test JVM.
 */
@Tag("slow")
class StandaloneClusterTest {
    private static StandaloneCluster cluster;
    private static SparkSession spark;
    private static JavaSparkContext sc;
    private static final LabeledData DATA = Fashion.train(1500);
    private static JavaRDD<Example> rows;

    @BeforeAll
    static void start() throws Exception {
        cluster = StandaloneCluster.start(new StandaloneCluster.Settings(Files.createTempDirectory("permafrost-cluster"), 2, 1, "3g", 0,
                System.getProperty("java.class.path"), List.of()), StandaloneCluster.OnClose.DELETE_DIR);
        SparkConf conf = new SparkConf().setMaster(cluster.url()).setAppName("permafrost-cluster-test");
        cluster.driverConf().forEach(conf::set);
        conf.set("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1");
        conf.set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        spark = SparkSession.builder().config(conf).getOrCreate();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        rows = SparkSessions.rows(sc, DATA, 4);
        try (SparkEpochRunner probe = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes())) {
            assertTrue(probe.awaitSlots(2, 120), "two executors should register");
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        if (cluster != null) cluster.close();
    }

    private static TrainingConfig config() {
        var schedule = FreezeSchedule.of(new FreezeSchedule.Phase(1, FreezePlan.freezing("pretrained.*")));
        return new TrainingConfig(2, 16, 2, 7, OptimizerConfig.Adam.adam(1e-3), schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 10);
    }

    private static float[] reference() {
        return new LocalTrainer(config()).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), DATA, TrainingListener.NONE).server().assemble();
    }

    private static DistributedTrainer.Result train(TrainingListener listener) {
        try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes())) {
            return new DistributedTrainer(config(), "127.0.0.1", 3).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), DATA.size(), runner, listener);
        }
    }

    @Test
    void twoExecutorJvmsTrainBitIdenticallyToOneProcessAndBothProveTheirFrozenCopies() {
        assertEquals(2, cluster.executors().size(), "one executor JVM per worker");
        DistributedTrainer.Result r = train(TrainingListener.NONE);
        assertArrayEquals(RawBits.of(reference()), RawBits.of(r.server().assemble()));
        Set<String> executors = r.audits().stream().filter(a -> a.shardsChecked() > 0).map(CheckedPush::executor).collect(Collectors.toSet());
        assertEquals(2, executors.size(), "both executor JVMs fingerprinted their frozen copies: " + executors);
        assertTrue(executors.stream().noneMatch(e -> e.startsWith("executor driver")), executors.toString());
        assertEquals(0, r.resubmissions());
    }

    @Test
    void aResidualGraphWithAFrozenConvolutionalBackboneTrainsOnBothExecutorJvmsAsInOneProcess() {
        try (SparkEpochRunner probe = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes())) {
            assertTrue(probe.awaitSlots(2, 120), "two executors should be registered");
        }
        var graphConfig = new TrainingConfig(2, 16, 1, 9, OptimizerConfig.Adam.adam(1e-3),
                FreezeSchedule.constant(FreezePlan.freezing("stem.*", "block1.*")), ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        java.util.function.Supplier<Network> graph = () -> Dl4jNetworks.readingRows(
                Dl4jNetworks.of(dev.permafrost.testing.RealModels.residual(10, 41)), List.of(1, 28, 28));
        float[] local = new LocalTrainer(graphConfig).fit(graph.get(), DATA, TrainingListener.NONE).server().assemble();
        DistributedTrainer.Result r;
        try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes())) {
            r = new DistributedTrainer(graphConfig, "127.0.0.1", 3).fit(graph.get(), DATA.size(), runner, TrainingListener.NONE);
        }
        float[] trained = r.server().assemble();
        assertArrayEquals(RawBits.of(local), RawBits.of(trained));
        float[] start = graph.get().paramsCopy();
        int frozen = 0;
        for (var p : r.network().params().params()) {
            if (!p.name().startsWith("stem.") && !p.name().startsWith("block1.")) continue;
            assertArrayEquals(RawBits.of(java.util.Arrays.copyOfRange(start, (int) p.offset(), (int) p.end())),
                    RawBits.of(java.util.Arrays.copyOfRange(trained, (int) p.offset(), (int) p.end())), p.name());
            frozen++;
        }
        assertEquals(18, frozen, "convolution kernels and biases, BatchNorm scales, shifts and statistics");
        Set<String> executors = r.audits().stream().filter(a -> a.shardsChecked() > 0).map(CheckedPush::executor).collect(Collectors.toSet());
        assertEquals(2, executors.size(), "both executor JVMs fingerprinted the frozen backbone on every push: " + executors);
    }

    @Test
    void anExecutorKilledMidEpochIsSurvivedAndTheModelEqualsTheUndisturbedRun() {
        AtomicBoolean killed = new AtomicBoolean();
        TrainingListener killer = new TrainingListener() {
            @Override
            public void onStep(StepEvent e, Optional<Network> network) {
                if (e.epoch() == 1 && e.step() == 10 && killed.compareAndSet(false, true)) {
                    List<ProcessHandle> executors = cluster.executors();
                    new Thread(() -> executors.get(0).destroyForcibly()).start();
                }
            }
        };
        DistributedTrainer.Result r = train(killer);
        assertTrue(killed.get());
        assertTrue(r.resubmissions() >= 1, "the epoch must have been resubmitted");
        assertArrayEquals(RawBits.of(reference()), RawBits.of(r.server().assemble()));
    }
}
