package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Simulated workers against one big batch, and run-to-run determinism. */
@Tag("slow")
class TrainerEquivalenceTest {
    /**
     * Stated tolerance: W=2 workers of batch b against 1 worker of batch 2b differ only in float summation order.
     * Measured over 128 steps: 2.7e-7 (SGD) and 7.1e-8 (Adam) at most; 1e-5 leaves a 40x margin.
     */
    private static final double TOLERANCE = 1e-5;
    private final LabeledData data = Fashion.train(4096);

    private float[] train(int workers, int batch, OptimizerConfig opt, FreezeSchedule schedule, long seed) {
        var config = TrainingConfig.of(workers, batch, 1, opt, schedule).withSeed(seed);
        return new LocalTrainer(config).fit(Dl4jNetworks.of(FashionMlp.build(10, 3)), data, TrainingListener.NONE).server().assemble();
    }

    @Test
    void twoWorkersOfBatchBMatchOneWorkerOfBatch2B() {
        // BatchNorm frozen (inference mode) inside a frozen prefix: the rest is independent of how the batch is split.
        var schedule = FreezeSchedule.constant(FreezePlan.freezing("layers:0-1"));
        for (OptimizerConfig opt : new OptimizerConfig[]{OptimizerConfig.Sgd.momentum(0.05, 0.9), OptimizerConfig.Adam.adam(1e-3),
                OptimizerConfig.Adam.adamW(1e-3, 0.01)}) {
            float[] two = train(2, 16, opt, schedule, 5);
            float[] one = train(1, 32, opt, schedule, 5);
            float[] start = Dl4jNetworks.of(FashionMlp.build(10, 3)).paramsCopy();
            double maxDiff = 0;
            double maxMove = 0;
            for (int i = 0; i < two.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(two[i] - one[i]));
                maxMove = Math.max(maxMove, Math.abs(two[i] - start[i]));
            }
            assertTrue(maxDiff <= TOLERANCE, opt.describe() + ": max |difference| " + maxDiff);
            assertTrue(maxMove > 100 * TOLERANCE, opt.describe() + ": training must move parameters well beyond the tolerance, moved " + maxMove);
        }
    }

    @Test
    void theSameRunTwiceIsBitIdentical() {
        var schedule = FreezeSchedule.of(new FreezeSchedule.Phase(0, FreezePlan.NOTHING_FROZEN));
        float[] a = train(3, 16, OptimizerConfig.Adam.adam(1e-3), schedule, 9);
        float[] b = train(3, 16, OptimizerConfig.Adam.adam(1e-3), schedule, 9);
        assertArrayEquals(RawBits.of(a), RawBits.of(b));
        float[] c = train(3, 16, OptimizerConfig.Adam.adam(1e-3), schedule, 10);
        assertTrue(!java.util.Arrays.equals(RawBits.of(a), RawBits.of(c)), "a different data order must change the result");
    }
}
