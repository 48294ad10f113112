package dev.permafrost.train;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpochPlanTest {

    @Test
    void everyStepIsAFullGlobalBatchAndEveryWorkerTakesItsBatchSize() {
        // 103 rows, 3 workers x 8: 4 full global batches of 24; the last 7 rows wait for another epoch's shuffle.
        EpochPlan plan = EpochPlan.of(103, 3, 8, 42, 0);
        assertEquals(4, plan.steps());
        assertEquals(7, plan.droppedRows());
        int[] seen = new int[103];
        for (int step = 0; step < plan.steps(); step++) {
            for (int w = 0; w < 3; w++) {
                int[] r = plan.slice(step, w);
                for (int k = r[0]; k < r[1]; k++) seen[plan.order()[k]]++;
                assertEquals(8, r[1] - r[0], "step " + step + ", worker " + w);
            }
        }
        assertEquals(96, Arrays.stream(seen).filter(n -> n == 1).count(), "every planned row exactly once");
        assertTrue(Arrays.stream(seen).allMatch(n -> n <= 1));
        int[] workerOf = plan.workerOfRows();
        assertEquals(7, Arrays.stream(workerOf).filter(w -> w == -1).count());
        assertTrue(Arrays.stream(workerOf).allMatch(w -> w >= -1 && w < 3));
    }

    @Test
    void rowsAfterTheLastFullGlobalBatchAreLeftOutAndCountedAndOtherEpochsTakeThem() {
        // 50 rows, 4 workers x 6: 2 full batches of 24, then 2 rows left out.
        EpochPlan plan = EpochPlan.of(50, 4, 6, 7, 3);
        assertEquals(2, plan.steps());
        assertEquals(2, plan.droppedRows());
        assertEquals(2, Arrays.stream(plan.workerOfRows()).filter(w -> w == -1).count());
        boolean[] taken = new boolean[50];
        for (int epoch = 0; epoch < 40; epoch++) {
            int[] workerOf = EpochPlan.of(50, 4, 6, 7, epoch).workerOfRows();
            for (int r = 0; r < 50; r++) taken[r] |= workerOf[r] >= 0;
        }
        for (boolean t : taken) assertTrue(t, "every row is trained on in some epoch");
    }

    @Test
    void theOrderDependsOnSeedAndEpochAlone() {
        assertArrayEquals(EpochPlan.of(1000, 2, 32, 42, 3).order(), EpochPlan.of(1000, 2, 32, 42, 3).order(), "a retry sees the same split");
        assertFalse(Arrays.equals(EpochPlan.of(1000, 2, 32, 42, 3).order(), EpochPlan.of(1000, 2, 32, 42, 4).order()));
        assertFalse(Arrays.equals(EpochPlan.of(1000, 2, 32, 42, 3).order(), EpochPlan.of(1000, 2, 32, 43, 3).order()));
        int[] sorted = EpochPlan.of(1000, 2, 32, 42, 3).order().clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i], "a permutation of the rows");
    }
}
