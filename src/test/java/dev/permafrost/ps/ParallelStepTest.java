package dev.permafrost.ps;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.optim.OptimizerKernel;
import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.shard.UpdateRule;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model large enough that the server sums and applies its shards across threads gives, bit for bit, what applying
 * each shard's rule alone on one thread gives: the element arithmetic does not depend on how the work is split.
 */
class ParallelStepTest {

    @Test
    void theParallelStepEqualsEachShardsRuleAppliedAloneOnOneThread() {
        ParamTable table = Dl4jNetworks.of(FashionMlp.build(10, 2)).params();
        ParamLabels labels = FreezePlan.freezing("pretrained.fc2.*").resolve(table);
        ShardLayout layout = ShardLayout.plan(table, List.of(labels), 4096);
        assertTrue(layout.trainable().stream().mapToInt(Shard::length).sum() >= ParallelShards.PARALLEL_FROM, "large enough to run in parallel");
        OptimizerConfig.Adam adam = OptimizerConfig.Adam.adam(1e-3);
        Random r = new Random(5);
        float[] init = new float[(int) table.totalLength()];
        for (int i = 0; i < init.length; i++) init[i] = (float) r.nextGaussian();
        ParameterServer server = new ParameterServer(layout, init, adam);

        // The reference: per shard, sums in double in worker order, one division, Adam or the statistic rule, one thread.
        float[] expected = init.clone();
        OptimizerKernel kernel = adam.kernel();
        Map<Integer, ShardState> states = new HashMap<>();
        for (Shard s : layout.trainable()) if (s.rule() == UpdateRule.OPTIMIZER) states.put(s.index(), kernel.newState(s.length()));
        int n = server.trainableLayout().elements();
        for (int step = 0; step < 3; step++) {
            List<WorkerPush> pushes = new ArrayList<>();
            float[][] g = new float[2][n];
            for (int w = 0; w < 2; w++) {
                for (int i = 0; i < n; i++) g[w][i] = (float) (r.nextGaussian() * 10);
                pushes.add(new WorkerPush(w, step, 16 + w, 1.0, g[w]));
            }
            server.step(pushes);
            int at = 0;
            for (Shard s : layout.trainable()) {
                float[] mean = new float[s.length()];
                for (int i = 0; i < s.length(); i++) mean[i] = (float) (((double) g[0][at + i] + g[1][at + i]) / 33);
                if (s.rule() == UpdateRule.OPTIMIZER) {
                    kernel.step(expected, s.start(), mean, 0, s.length(), states.get(s.index()));
                } else {
                    for (int i = 0; i < s.length(); i++) expected[s.start() + i] = expected[s.start() + i] - mean[i];
                }
                at += s.length();
            }
        }
        assertArrayEquals(RawBits.of(expected), RawBits.of(server.assemble()));
    }
}
