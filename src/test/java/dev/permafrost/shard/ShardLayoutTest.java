package dev.permafrost.shard;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.ParamTable;
import dev.permafrost.testing.SampleTables;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardLayoutTest {

    @Test
    void shardsAreContiguousAlignedAndUniform() {
        ParamTable t = SampleTables.sevenLayers();
        ParamLabels labels = FreezePlan.freezing("pretrained.*").resolve(t);
        ShardLayout layout = ShardLayout.plan(t, List.of(labels), 1 << 10);
        // features.* (trainable weights), bn gamma/beta (frozen), bn mean/var (frozen statistics), fc (frozen), head (trainable)
        long pos = 0;
        for (Shard s : layout.shards()) {
            assertEquals(pos, s.offset());
            pos += s.length();
            for (String n : s.paramNames()) {
                assertEquals(s.label(), labels.label(n), s.describe());
                assertEquals(s.offset() <= t.byName(n).offset() && t.byName(n).end() <= s.offset() + s.length(), true);
            }
        }
        assertEquals(t.totalLength(), pos);
        Shard stats = layout.shards().stream().filter(Shard::statistic).findFirst().orElseThrow();
        assertEquals(List.of("pretrained.bn.mean", "pretrained.bn.var"), stats.paramNames());
        assertEquals(layout.elements(Label.FROZEN), labels.elements(Label.FROZEN));
    }

    @Test
    void aLargeParameterIsCutIntoBoundedPiecesAndSmallOnesStartNewShards() {
        ParamTable t = SampleTables.sevenLayers();
        ShardLayout layout = ShardLayout.plan(t, List.of(ParamLabels.allTrainable(t)), 3);
        for (Shard s : layout.shards()) assertTrue(s.length() <= 3);
        assertEquals(List.of("features.0.W"), layout.shards().get(0).paramNames());
        assertEquals(3, layout.shards().get(0).length());
        assertEquals(1, layout.shards().get(1).length());
        ShardLayout wide = ShardLayout.plan(t, List.of(ParamLabels.allTrainable(t)), 10);
        for (Shard s : wide.shards()) {
            long start = s.offset();
            assertTrue(t.params().stream().anyMatch(p -> p.offset() == start), "shard must start at a parameter: " + s.describe());
        }
    }

    @Test
    void boundariesHoldForEveryPhaseSoTransitionsOnlyRelabel() {
        ParamTable t = SampleTables.sevenLayers();
        FreezeSchedule sched = FreezeSchedule.gradualUnfreeze(List.of("features.0.*", "features.1.*", "features.2.*"), 0, 1);
        var phases = sched.resolve(t).stream().map(FreezeSchedule.ResolvedPhase::labels).toList();
        ShardLayout layout = ShardLayout.plan(t, phases, 1 << 10);
        for (ParamLabels l : phases) {
            ShardLayout relabelled = layout.withLabels(l);
            assertEquals(layout.shards().size(), relabelled.shards().size());
            assertEquals(l.elements(Label.FROZEN), relabelled.elements(Label.FROZEN));
        }
        // A layout planned for one phase only cannot take labels that split its shards.
        ShardLayout single = ShardLayout.plan(t, List.of(ParamLabels.allTrainable(t)), 1 << 10);
        assertThrows(IllegalArgumentException.class, () -> single.withLabels(phases.get(0)));
    }

    @Test
    void fingerprintSeesEveryBit() {
        float[] a = new float[1000];
        for (int i = 0; i < a.length; i++) a[i] = (float) Math.sin(i);
        long base = Fingerprint.of(a);
        assertEquals(base, Fingerprint.of(a.clone()));
        for (int i = 0; i < a.length; i += 37) {
            for (int bit = 0; bit < 32; bit += 7) {
                float[] b = a.clone();
                b[i] = Float.intBitsToFloat(Float.floatToRawIntBits(b[i]) ^ (1 << bit));
                assertNotEquals(base, Fingerprint.of(b), "flip of bit " + bit + " at " + i);
            }
        }
        float[] zero = {0f};
        float[] negZero = {-0f};
        assertNotEquals(Fingerprint.of(zero), Fingerprint.of(negZero));
        float[] swapped = a.clone();
        swapped[0] = a[1];
        swapped[1] = a[0];
        assertNotEquals(base, Fingerprint.of(swapped));
        assertEquals(Fingerprint.of(a, 100, 50), Fingerprint.of(java.util.Arrays.copyOfRange(a, 100, 150)));
    }
}
