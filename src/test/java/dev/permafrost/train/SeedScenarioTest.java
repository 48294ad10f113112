package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Gradients;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.WorkerPush;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The case this project exists for, on real Fashion-MNIST: train everything, freeze {@code pretrained.*} after some
 * epochs, keep training. Every frozen element, BatchNorm statistics included, must keep its exact bits after every
 * later step; the naive way (optimizer state kept, zero gradients fed, BatchNorm left in train mode) must not.
 */
@Tag("slow")
class SeedScenarioTest {
    private static final int FREEZE_FROM = 2;
    private final LabeledData data = Fashion.train(6000);
    private final OptimizerConfig adam = OptimizerConfig.Adam.adam(1e-3);

    /** The test's own record: raw bits of every parameter at the start of each epoch and after each step. */
    private static final class BitsRecorder implements TrainingListener {
        final Map<String, int[]> atFreeze = new LinkedHashMap<>();
        final Map<String, int[]> atStart = new LinkedHashMap<>();
        ParamTable table;
        int stepsAfterFreeze;
        int headMoves;
        int[] lastHead;

        @Override
        public void onEpochStart(int epoch, ParamLabels labels, ParameterServer.Transition t, Network network) {
            table = labels.table();
            float[] flat = network.paramsCopy();
            if (epoch == 0) for (NamedParam p : table.params()) atStart.put(p.name(), slice(flat, p));
            if (epoch == FREEZE_FROM) {
                assertEquals(3, t.newlyFrozen().size(), "fc1+bn affine, bn statistics, fc2 shards");
                for (NamedParam p : table.params()) if (labels.label(p.name()) == Label.FROZEN) atFreeze.put(p.name(), slice(flat, p));
            }
        }

        @Override
        public void onStep(StepEvent e, Optional<Network> network) {
            float[] flat = network.orElseThrow().paramsCopy();
            if (e.epoch() >= FREEZE_FROM) {
                for (var entry : atFreeze.entrySet()) {
                    assertArrayEquals(entry.getValue(), slice(flat, table.byName(entry.getKey())),
                            entry.getKey() + " moved at step " + e.version());
                }
                stepsAfterFreeze++;
                int[] head = slice(flat, table.byName("head.W"));
                if (lastHead != null && !Arrays.equals(head, lastHead)) headMoves++;
                lastHead = head;
            }
        }

        static int[] slice(float[] flat, NamedParam p) {
            return RawBits.of(Arrays.copyOfRange(flat, (int) p.offset(), (int) p.end()));
        }
    }

    @Test
    void frozenParametersKeepEveryBitAfterEveryStepWhileTheHeadTrains(@TempDir Path dir) throws Exception {
        var schedule = FreezeSchedule.of(new FreezeSchedule.Phase(FREEZE_FROM, FreezePlan.freezing("pretrained.*")));
        BitsRecorder rec = new BitsRecorder();
        var result = new LocalTrainer(TrainingConfig.of(2, 32, 4, adam, schedule))
                .fit(Dl4jNetworks.of(FashionMlp.build(10, 11)), data, rec);

        assertEquals(8, rec.atFreeze.size());
        assertTrue(rec.atFreeze.containsKey("pretrained.bn.mean") && rec.atFreeze.containsKey("pretrained.bn.log10stdev"));
        assertEquals(2 * (data.size() / 64), rec.stepsAfterFreeze, "two epochs of full global batches of 2 x 32");
        assertEquals(rec.stepsAfterFreeze - 1, rec.headMoves, "the head must move at every step");
        // Before the freeze, everything trained: weights by Adam, BatchNorm statistics by DL4J's rule.
        for (String name : List.of("pretrained.fc1.W", "pretrained.bn.mean", "pretrained.bn.log10stdev", "pretrained.fc2.b")) {
            assertFalse(Arrays.equals(rec.atStart.get(name), rec.atFreeze.get(name)), name + " should have trained before the freeze");
        }

        // The server's canonical copy and the saved model hold the same bits; frozen shards carry no optimizer state.
        ParameterServer ps = result.server();
        float[] canonical = ps.assemble();
        ParamTable table = result.network().params();
        for (var e : rec.atFreeze.entrySet()) assertArrayEquals(e.getValue(), BitsRecorder.slice(canonical, table.byName(e.getKey())));
        for (Shard s : ps.layout().frozen()) assertTrue(ps.optimizerState(s.index()).isEmpty(), s.describe());
        assertEquals(1, ps.statefulShards(), "only the head's shard keeps Adam state");

        Path saved = dir.resolve("model.zip");
        Dl4jNetworks.save(result.network(), saved);
        float[] reloaded = Dl4jNetworks.load(saved).paramsCopy();
        for (var e : rec.atFreeze.entrySet()) assertArrayEquals(e.getValue(), BitsRecorder.slice(reloaded, table.byName(e.getKey())));
        assertTrue(result.frozenAudits() > 0);
    }

    @Test
    void theNaiveWayMovesFrozenWeightsAndStatisticsSoTheCheckCanFail() {
        // PyTorch's trap, rebuilt here: one optimizer over everything, gradients of the "frozen" weights set to zero
        // (requires_grad=False), the BatchNorm layer left in train mode.
        Network net = Dl4jNetworks.of(FashionMlp.build(10, 11));
        ParamTable table = net.params();
        ParamLabels all = ParamLabels.allTrainable(table);
        ParamLabels pretrainedFrozen = FreezePlan.freezing("pretrained.*").resolve(table);
        ShardLayout layout = ShardLayout.plan(table, List.of(all, pretrainedFrozen), ShardLayout.DEFAULT_MAX_SHARD_LENGTH);
        ParameterServer ps = new ParameterServer(layout, net.paramsCopy(), adam);
        net = net.rebuild(all, ps.assemble());
        Map<Integer, Long> atFreeze = null;
        float[] snapshot = null;
        ShardLayout frozenView = layout.withLabels(pretrainedFrozen);
        for (int epoch = 0; epoch < 3; epoch++) {
            if (epoch == FREEZE_FROM) {
                snapshot = net.paramsCopy();
                atFreeze = new LinkedHashMap<>();
                for (Shard s : frozenView.frozen()) atFreeze.put(s.index(), Fingerprint.of(snapshot, s.start(), s.length()));
            }
            EpochPlan plan = EpochPlan.of(data.size(), 2, 32, 42, epoch);
            for (int step = 0; step < plan.steps(); step++) {
                List<WorkerPush> pushes = new ArrayList<>();
                for (int w = 0; w < 2; w++) {
                    int[] r = plan.slice(step, w);
                    Gradients g = net.gradient(data.batch(plan.order(), r[0], r[1]));
                    float[] flat = g.flat();
                    if (epoch >= FREEZE_FROM) {
                        for (NamedParam p : table.params()) {
                            if (p.name().startsWith("pretrained.") && !p.kind().isStatistic()) {
                                Arrays.fill(flat, (int) p.offset(), (int) p.end(), 0f);
                            }
                        }
                    }
                    pushes.add(new WorkerPush(w, ps.version(), g.samples(), g.lossSum(), ps.trainableLayout().gather(flat)));
                }
                ps.step(pushes);
                float[] values = ps.trainableValues();
                Network updated = net;
                ps.trainableLayout().scatter(values, (s, packed, from) -> updated.writeRange(s.start(), packed, from, s.length()));
            }
        }
        float[] after = net.paramsCopy();
        for (String name : List.of("pretrained.fc1.W", "pretrained.fc2.W", "pretrained.bn.gamma", "pretrained.bn.mean", "pretrained.bn.log10stdev")) {
            NamedParam p = table.byName(name);
            assertFalse(Arrays.equals(BitsRecorder.slice(snapshot, p), BitsRecorder.slice(after, p)), name + " should drift the naive way");
        }
        Map<Integer, Long> canonical = atFreeze;
        var e = assertThrows(FrozenCopyMismatchException.class, () -> FingerprintCheck.check(java.nio.FloatBuffer.wrap(after), frozenView, canonical,
                "the naive run", 0));
        assertTrue(e.getMessage().contains("pretrained.fc1.W"), e.getMessage());
    }
}
