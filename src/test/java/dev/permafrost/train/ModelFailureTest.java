package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.ModelFailure;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failure the model causes on every try stops the run at once, naming where it arises; it is not retried. */
class ModelFailureTest {
    private final LabeledData data = Fashion.train(128);

    @Test
    void aFrozenLayerThatOutputsNaNIsNamedAndTheEpochIsNotRetried() {
        MultiLayerNetwork net = FashionMlp.build(10, 8);
        // A frozen layer with a NaN weight: every row's output from it is NaN, on every try.
        net.getLayer(2).getParam("W").putScalar(0, Float.NaN);
        var config = new TrainingConfig(2, 16, 1, 7, OptimizerConfig.Adam.adam(1e-3), FreezeSchedule.constant(FreezePlan.freezing("pretrained.*")),
                ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 5);
        AtomicInteger runs = new AtomicInteger();
        var e = assertThrows(ModelFailure.class, () -> {
            try (ThreadEpochRunner threads = new ThreadEpochRunner(data, 2)) {
                EpochRunner counted = dev.permafrost.testing.EpochRunners.beforeEachEpoch(threads, spec -> runs.incrementAndGet());
                new DistributedTrainer(config, "127.0.0.1", 3).fit(Dl4jNetworks.of(net), data.size(), counted, TrainingListener.NONE);
            }
        });
        assertEquals(1, runs.get(), "a model failure is not resubmitted");
        assertTrue(e.getMessage().contains("not retried") && e.getMessage().contains("frozen layer or vertex pretrained.fc2 outputs NaN"),
                e.getMessage());
    }

    @Test
    void aModelFailureIsFoundInTheTextSparkReportsOfAFailedTask() {
        var spark = new RuntimeException("Job aborted due to stage failure: Task 1 in stage 4.0 failed 1 times, most recent failure: "
                + "Lost task 1.0 in stage 4.0 (TID 9) (127.0.0.1 executor driver): dev.permafrost.network.ModelFailure: DL4J cannot "
                + "compute this model's gradient under its freeze plan: Cannot do backward pass: errors not set\n\tat dev.permafrost.X.y(X.java:1)");
        var found = ModelFailure.in(new IllegalStateException("epoch 0", spark));
        assertEquals("DL4J cannot compute this model's gradient under its freeze plan: Cannot do backward pass: errors not set",
                found.orElseThrow().getMessage());
        assertTrue(ModelFailure.in(new RuntimeException("Lost executor 1: heartbeat timed out")).isEmpty(), "a lost executor is retried");
    }
}
