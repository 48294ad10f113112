package dev.permafrost.shard;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.ParamTable;
import dev.permafrost.testing.SampleTables;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainableLayoutTest {
    private final ParamTable table = SampleTables.sevenLayers();

    @Test
    void gatherPacksTheTrainableRangesAndScatterHandsThemBack() {
        ParamLabels labels = FreezePlan.freezing("features.*").resolve(table);
        ShardLayout layout = ShardLayout.plan(table, labels);
        TrainableLayout trainable = TrainableLayout.of(layout);
        float[] flat = new float[(int) table.totalLength()];
        for (int i = 0; i < flat.length; i++) flat[i] = i;

        float[] packed = trainable.gather(flat);
        assertEquals(layout.elements(dev.permafrost.freeze.Label.TRAINABLE), packed.length);
        int frozenEnd = (int) table.byName("features.3.b").end();
        assertEquals(frozenEnd, (int) packed[0], "the first trainable value follows the frozen block");

        float[] rebuilt = new float[flat.length];
        List<Integer> starts = new ArrayList<>();
        trainable.scatter(packed, (shard, values, from) -> {
            starts.add(shard.start());
            System.arraycopy(values, from, rebuilt, shard.start(), shard.length());
        });
        for (Shard s : layout.frozen()) for (int i = s.start(); i < s.end(); i++) rebuilt[i] = flat[i];
        assertArrayEquals(flat, rebuilt);
        assertEquals(layout.trainable().stream().map(Shard::start).toList(), starts, "in layout order");
    }

    @Test
    void aVectorOfAnotherLengthOrAFrozenShardIsRefused() {
        ShardLayout layout = ShardLayout.plan(table, FreezePlan.freezing("features.*").resolve(table));
        TrainableLayout trainable = TrainableLayout.of(layout);
        var e = assertThrows(IllegalArgumentException.class, () -> trainable.scatter(new float[3], (s, v, f) -> { }));
        assertTrue(e.getMessage().contains("holds 3 values"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainableLayout(layout.frozen(), 32));
    }

    @Test
    void theUpdateRuleIsDataOnTheShard() {
        ShardLayout layout = ShardLayout.plan(table, FreezePlan.freezing("features.*").resolve(table));
        for (Shard s : layout.shards()) {
            UpdateRule expected = s.frozen() ? UpdateRule.FROZEN : s.statistic() ? UpdateRule.RUNNING_STATISTIC : UpdateRule.OPTIMIZER;
            assertEquals(expected, s.rule(), s.describe());
        }
        assertThrows(IllegalArgumentException.class, () -> new Shard(0, 0, 4, List.of("x"), true, UpdateRule.OPTIMIZER));
    }
}
