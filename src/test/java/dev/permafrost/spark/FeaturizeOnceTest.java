package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
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

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training the suffix on the frozen prefix's outputs, computed once per freeze phase and kept in Spark's storage, gives
 * the same model bits as training the whole network on the rows, through a schedule whose prefix grows and shrinks.
 */
@Tag("slow")
class FeaturizeOnceTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;
    private static final LabeledData DATA = Fashion.train(900);
    private static JavaRDD<Example> rows;

    @BeforeAll
    static void start() {
        spark = SparkSessions.start("local[2]", "permafrost-featurize-test");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        rows = SparkSessions.rows(sc, DATA, 3);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** Epoch 0: fc1 frozen; epoch 1: the whole pretrained block (the prefix grows); epoch 2: fc1 again (part unfreezes). */
    private static TrainingConfig config() {
        var schedule = FreezeSchedule.of(new FreezeSchedule.Phase(0, FreezePlan.freezing(FashionMlp.FC1 + ".*")),
                new FreezeSchedule.Phase(1, FreezePlan.freezing("pretrained.*")),
                new FreezeSchedule.Phase(2, FreezePlan.freezing(FashionMlp.FC1 + ".*")));
        return new TrainingConfig(2, 16, 3, 11, OptimizerConfig.Adam.adam(1e-3), schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
    }

    private static DistributedTrainer.Result run(boolean featurize, List<String> log) {
        try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes(), featurize, log::add)) {
            return new DistributedTrainer(config(), "127.0.0.1", 1).fit(Dl4jNetworks.of(FashionMlp.build(10, 4)), DATA.size(), runner,
                    TrainingListener.NONE);
        }
    }

    @Test
    void theCachedPrefixGivesTheSameModelBitsAsTrainingOnTheRows() {
        List<String> log = new ArrayList<>();
        float[] cached = run(true, log).server().assemble();
        List<String> off = new ArrayList<>();
        float[] rowsOnly = run(false, off).server().assemble();
        float[] local = new LocalTrainer(config()).fit(Dl4jNetworks.of(FashionMlp.build(10, 4)), DATA, TrainingListener.NONE)
                .server().assemble();

        assertArrayEquals(RawBits.of(rowsOnly), RawBits.of(cached));
        assertArrayEquals(RawBits.of(local), RawBits.of(cached));
        assertEquals(3, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("featurize-once: freeze phase 0: layer pretrained.fc1 frozen; training starts at pretrained.bn; "
                        + "the frozen part's outputs computed once for 900 rows"),
                log.get(0));
        assertTrue(log.get(1).contains("freeze phase 1: the 3 layers up to pretrained.fc2 frozen; training starts at head") && log.get(1).contains("128 features per row"),
                log.get(1));
        assertTrue(log.get(2).contains("freeze phase 2: layer pretrained.fc1 frozen") && log.get(2).contains("256 features"),
                log.get(2));
        assertTrue(off.isEmpty(), off.toString());
    }

    @Test
    void aPlanWithoutAFrozenPrefixTrainsOnTheRowsAndSaysWhy() {
        List<String> log = new ArrayList<>();
        var config = new TrainingConfig(2, 16, 1, 11, OptimizerConfig.Adam.adam(1e-3),
                FreezeSchedule.constant(FreezePlan.freezing(FashionMlp.FC2 + ".*")), ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, DATA.width(), DATA.classes(), true, log::add)) {
            new DistributedTrainer(config, "127.0.0.1", 1).fit(Dl4jNetworks.of(FashionMlp.build(10, 4)), DATA.size(), runner,
                    TrainingListener.NONE);
        }
        assertEquals(List.of("featurize-once: not used in freeze phase 0: no frozen prefix: the first layer (pretrained.fc1) trains"), log);
    }
}
