package dev.permafrost.ps;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.ParamTable;
import dev.permafrost.optim.AdamKernel;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.RawBits;
import dev.permafrost.testing.SampleTables;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterServerTest {
    private final ParamTable table = SampleTables.sevenLayers();
    private final OptimizerConfig.Adam adam = OptimizerConfig.Adam.adam(1e-2);

    private float[] initial() {
        float[] p = new float[(int) table.totalLength()];
        Random r = new Random(1);
        for (int i = 0; i < p.length; i++) p[i] = (float) r.nextGaussian();
        return p;
    }

    private static List<float[]> grads(ShardLayout layout, long seed, float scale) {
        Random r = new Random(seed);
        List<float[]> out = new ArrayList<>();
        for (Shard s : layout.trainable()) {
            float[] g = new float[s.length()];
            for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian() * scale;
            out.add(g);
        }
        return out;
    }

    /** The shards' gradients end to end, in trainable-layout order: the shape a push carries. */
    private static float[] packed(List<float[]> shards) {
        int n = 0;
        for (float[] g : shards) n += g.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] g : shards) {
            System.arraycopy(g, 0, out, at, g.length);
            at += g.length;
        }
        return out;
    }


    @Test
    void frozenShardsHaveNoStateAndNeverMove() {
        ParamLabels labels = FreezePlan.freezing("features.*").resolve(table);
        ShardLayout layout = ShardLayout.plan(table, labels);
        float[] init = initial();
        ParameterServer ps = new ParameterServer(layout, init, adam);
        for (Shard s : layout.frozen()) assertTrue(ps.optimizerState(s.index()).isEmpty(), s.describe());
        for (int step = 0; step < 20; step++) {
            ps.step(List.of(new WorkerPush(0, ps.version(), 8, 1.0, packed(grads(layout, step, 1f)))));
        }
        float[] after = ps.assemble();
        for (Shard s : layout.frozen()) {
            for (int i = s.start(); i < s.end(); i++) {
                assertEquals(Float.floatToRawIntBits(init[i]), Float.floatToRawIntBits(after[i]), s.describe());
            }
        }
        Shard trainable = layout.trainable().get(0);
        assertNotEquals(init[trainable.start()], after[trainable.start()]);
        assertEquals(20, ps.version());
    }

    @Test
    void pushesAreSummedInWorkerOrderWhateverTheArrivalOrder() {
        ShardLayout layout = ShardLayout.plan(table, ParamLabels.allTrainable(table));
        ParameterServer a = new ParameterServer(layout, initial(), adam);
        ParameterServer b = new ParameterServer(layout, initial(), adam);
        for (int step = 0; step < 5; step++) {
            List<WorkerPush> pushes = new ArrayList<>();
            for (int w = 0; w < 5; w++) pushes.add(new WorkerPush(w, step, 3 + w, w, packed(grads(layout, step * 10L + w, 1e3f))));
            a.step(pushes);
            Collections.reverse(pushes);
            Collections.swap(pushes, 1, 3);
            b.step(pushes);
        }
        assertArrayEquals(RawBits.of(a.assemble()), RawBits.of(b.assemble()));
    }

    @Test
    void theMeanIsTheSumOverWorkersDividedByTheTotalCountThenTheKernel() {
        ParamLabels labels = FreezePlan.freezing("features.*", "pretrained.*").resolve(table);
        ShardLayout layout = ShardLayout.plan(table, labels);
        float[] init = initial();
        ParameterServer ps = new ParameterServer(layout, init, adam);
        List<float[]> g0 = grads(layout, 1, 1f);
        List<float[]> g1 = grads(layout, 2, 1f);
        var report = ps.step(List.of(new WorkerPush(1, 0, 3, 6.0, packed(g1)), new WorkerPush(0, 0, 5, 2.0, packed(g0))));
        assertEquals(8, report.samples());
        assertEquals(1.0, report.meanLoss());
        // Independent reference: double sums in worker order, rounded mean, Adam's first step via the range function.
        Shard head = layout.trainable().get(0);
        float[] p = java.util.Arrays.copyOfRange(init, head.start(), head.end());
        float[] mean = new float[p.length];
        for (int i = 0; i < p.length; i++) mean[i] = (float) (((double) g0.get(0)[i] + g1.get(0)[i]) / 8);
        AdamKernel.stepFloat(p, 0, mean, 0, new float[p.length], new float[p.length], 0, p.length, 1, adam);
        assertArrayEquals(RawBits.of(p), RawBits.of(ps.trainableValues(head.index())));
    }

    @Test
    void runningStatisticsFollowDl4jsRuleAndNeverAdam() {
        ShardLayout layout = ShardLayout.plan(table, ParamLabels.allTrainable(table));
        float[] init = initial();
        ParameterServer ps = new ParameterServer(layout, init, adam);
        Shard stats = layout.shards().stream().filter(Shard::statistic).findFirst().orElseThrow();
        assertTrue(ps.optimizerState(stats.index()).isEmpty(), "statistics carry no optimizer state");
        List<float[]> g = grads(layout, 3, 1f);
        int k = layout.trainable().indexOf(stats);
        ps.step(List.of(new WorkerPush(0, 0, 4, 0, packed(g))));
        float[] after = ps.trainableValues(stats.index());
        for (int i = 0; i < after.length; i++) {
            float expected = init[stats.start() + i] - (float) ((double) g.get(k)[i] / 4);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(after[i]));
        }
    }

    @Test
    void freezeDropsStateAndUnfreezeStartsFresh() {
        FreezeSchedule sched = FreezeSchedule.of(new FreezeSchedule.Phase(1, FreezePlan.freezing("features.*")),
                new FreezeSchedule.Phase(2, FreezePlan.NOTHING_FROZEN));
        var phases = sched.resolve(table).stream().map(FreezeSchedule.ResolvedPhase::labels).toList();
        ShardLayout layout = ShardLayout.plan(table, phases, 1 << 10);
        ParameterServer ps = new ParameterServer(layout.withLabels(phases.get(0)), initial(), adam);
        for (int s = 0; s < 3; s++) ps.step(List.of(new WorkerPush(0, ps.version(), 2, 0, packed(grads(ps.layout(), s, 1f)))));
        Shard features = ps.layout().shards().get(0);
        assertEquals(3, ps.optimizerState(features.index()).orElseThrow().step());

        var frozen = ps.relabel(layout.withLabels(phases.get(1)));
        assertTrue(frozen.newlyFrozen().contains(ps.layout().shards().get(0)));
        assertTrue(ps.optimizerState(features.index()).isEmpty());
        float[] atFreeze = ps.assemble();
        for (int s = 0; s < 3; s++) ps.step(List.of(new WorkerPush(0, ps.version(), 2, 0, packed(grads(ps.layout(), 10 + s, 1f)))));
        float[] later = ps.assemble();
        for (int i = features.start(); i < features.end(); i++) {
            assertEquals(Float.floatToRawIntBits(atFreeze[i]), Float.floatToRawIntBits(later[i]));
        }

        var released = ps.relabel(layout.withLabels(phases.get(2)));
        assertEquals(frozen.newlyFrozen().size(), released.newlyTrainable().size());
        var state = ps.optimizerState(features.index()).orElseThrow();
        assertEquals(0, state.step(), "an unfrozen shard starts with fresh state");
        assertEquals(Label.TRAINABLE, ps.layout().shards().get(0).label());
    }

    @Test
    void badPushesAreRefusedBeforeAnythingChanges() {
        ShardLayout layout = ShardLayout.plan(table, ParamLabels.allTrainable(table));
        ParameterServer ps = new ParameterServer(layout, initial(), adam);
        float[] before = ps.assemble();
        List<float[]> nan = grads(layout, 1, 1f);
        nan.get(2)[1] = Float.NaN;
        var e = assertThrows(NonFiniteGradientException.class, () -> ps.step(List.of(
                new WorkerPush(0, 0, 1, 0, packed(grads(layout, 2, 1f))), new WorkerPush(1, 0, 1, 0, packed(nan)))));
        assertTrue(e.getMessage().contains("worker 1") && e.getMessage().contains("step 1"), e.getMessage());
        assertThrows(NonFiniteGradientException.class, () -> ps.step(List.of(new WorkerPush(0, 0, 1, Double.POSITIVE_INFINITY, packed(grads(layout, 2, 1f))))));
        assertThrows(IllegalStateException.class, () -> ps.step(List.of(new WorkerPush(0, 7, 1, 0, packed(grads(layout, 2, 1f))))));
        assertThrows(IllegalArgumentException.class, () -> ps.step(List.of(new WorkerPush(0, 0, 1, 0, packed(grads(layout, 2, 1f))),
                new WorkerPush(0, 0, 1, 0, packed(grads(layout, 2, 1f))))));
        assertThrows(IllegalArgumentException.class, () -> new WorkerPush(0, 0, 0, 0, new float[0]));
        assertArrayEquals(RawBits.of(before), RawBits.of(ps.assemble()));
        assertEquals(0, ps.version());
    }
}
