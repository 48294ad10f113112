package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.model.NamedParam;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.LocalTrainer;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Distributed training on a real Spark (local mode, 3 task slots) against the single-process reference. */
@Tag("slow")
class SparkTrainerTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;
    private static final LabeledData DATA = Fashion.train(1500);
    private static JavaRDD<Example> rows;

    @BeforeAll
    static void start() {
        spark = SparkSessions.start("local[3]", "permafrost-test");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        rows = SparkSessions.rows(sc, DATA, 4);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private static TrainingConfig config(int workers) {
        var schedule = FreezeSchedule.of(new FreezeSchedule.Phase(1, FreezePlan.freezing("pretrained.*")));
        return new TrainingConfig(workers, 16, 2, 7, OptimizerConfig.Adam.adam(1e-3), schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 10);
    }

    @Test
    void sparkBarrierEpochsEqualTheSingleProcessTrainerBitForBitAndFrozenShardsNeverMove() {
        for (int w : new int[]{2, 3}) {
            float[] local = new LocalTrainer(config(w)).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), DATA, TrainingListener.NONE)
                    .server().assemble();
            DistributedTrainer.Result remote;
            try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes())) {
                remote = new DistributedTrainer(config(w), "127.0.0.1", 1).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), DATA.size(),
                        runner, TrainingListener.NONE);
            }
            float[] result = remote.server().assemble();
            assertArrayEquals(RawBits.of(local), RawBits.of(result), "W=" + w);
            assertTrue(remote.audits().stream().anyMatch(a -> a.executor().startsWith("executor driver")), remote.audits().toString());
            if (w == 3) {
                // Frozen from epoch 1: the saved model's pretrained block equals the value at the transition on every path.
                float[] atOneEpoch = new LocalTrainer(config(w).withEpochs(1)).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), DATA,
                        TrainingListener.NONE).server().assemble();
                for (NamedParam p : remote.network().params().params()) {
                    if (!p.name().startsWith("pretrained.")) continue;
                    assertArrayEquals(RawBits.of(Arrays.copyOfRange(atOneEpoch, (int) p.offset(), (int) p.end())),
                            RawBits.of(Arrays.copyOfRange(result, (int) p.offset(), (int) p.end())), p.name());
                }
            }
        }
    }

    @Test
    void moreWorkersThanTaskSlotsFailsFastWithTheFix() {
        try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes())) {
            var e = assertThrows(IllegalArgumentException.class, () -> new DistributedTrainer(config(4), "127.0.0.1", 1)
                    .fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), DATA.size(), runner, TrainingListener.NONE));
            assertTrue(e.getMessage().contains("3 free task slots") && e.getMessage().contains("--workers"), e.getMessage());
        }
    }
}
