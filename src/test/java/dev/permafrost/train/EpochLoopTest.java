package dev.permafrost.train;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.WorkerPush;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.ShardLayout;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The epoch skeleton both trainers run enforces the frozen check itself: with no listener attached, a server whose
 * frozen shards were made trainable behind the schedule's back between epochs fails at that epoch's end.
 */
class EpochLoopTest {
    @Test
    void aFrozenParameterChangedOnTheServerFailsTheEpochWithNoListenerAttached() {
        Network initial = Dl4jNetworks.of(FashionMlp.build(10, 8));
        var config = new TrainingConfig(2, 16, 3, 7, OptimizerConfig.Adam.adam(1e-3), FreezeSchedule.constant(FreezePlan.freezing("pretrained.*")),
                ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        FreezePhases phases = FreezePhases.plan(config.schedule(), initial.params(), config.maxShardLength());
        ParameterServer server = new ParameterServer(phases.layout(), initial.paramsCopy(), config.optimizer());
        FrozenReference reference = new FrozenReference();
        reference.record(phases.labels(), () -> initial, 0, FrozenReference.START, name -> true);
        List<Integer> ran = new ArrayList<>();
        EpochLoop.Steps steps = new EpochLoop.Steps() {
            @Override
            public void phaseEntered(float[] entered) {
            }

            @Override
            public Network atEpochStart() {
                return initial;
            }

            @Override
            public long startVersion(int epoch) {
                return server.version();
            }

            @Override
            public EpochLoop.Ran run(int epoch, long start, EpochPlan plan) {
                ran.add(epoch);
                // Between epochs 1 and 2, a bug unfreezes everything on the server; the schedule still says frozen.
                if (epoch == 1) server.relabel(server.layout().withLabels(ParamLabels.allTrainable(initial.params())));
                for (int s = 0; s < plan.steps(); s++) {
                    List<WorkerPush> pushes = new ArrayList<>();
                    for (int w = 0; w < 2; w++) {
                        float[] g = new float[server.trainableLayout().elements()];
                        Arrays.fill(g, 0.5f);
                        pushes.add(new WorkerPush(w, server.version(), 16, 16.0, g));
                    }
                    server.step(pushes);
                }
                return new EpochLoop.Ran(1.0, 32L * plan.steps(), 0.1, 0, 0);
            }

            @Override
            public void ended(int epoch) {
            }
        };
        var e = assertThrows(FrozenCopyMismatchException.class,
                () -> EpochLoop.run(config, 96, 0, phases, server, reference, initial, TrainingListener.NONE, steps));
        assertEquals(List.of(0, 1), ran, "epoch 1 passed its check; epoch 2 failed it and epoch 3 never ran");
        assertTrue(e.getMessage().contains("at the end of epoch 2 the parameter server's frozen parameters differ")
                && e.getMessage().contains("pretrained.fc1.W (200704 of 200704 elements)"), e.getMessage());
    }
}
