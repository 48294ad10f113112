package dev.permafrost.train;

import java.util.Random;

/**
 * Which rows each worker takes at each step of one epoch. The order depends only on the seed and the epoch, so
 * a retried or resumed epoch sees the same split. Every step is a full global batch and every worker takes exactly
 * {@code batchPerWorker} rows of it; the rows after the last full batch are left out of this epoch and counted
 * (another epoch's shuffle takes them). Equal minibatch sizes matter beyond averaging: BLAS picks its kernel by matrix
 * size, so a frozen prefix's outputs, computed once in chunks of that size, are bit for bit what every step computes.
 */
public record EpochPlan(int[] order, int workers, int batchPerWorker, int steps, int droppedRows) {

    public static EpochPlan of(int rows, int workers, int batchPerWorker, long seed, int epoch) {
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) order[i] = i;
        Random rnd = new Random(seed * 1_000_003L + epoch);
        for (int i = rows - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int global = workers * batchPerWorker;
        int steps = rows / global;
        return new EpochPlan(order, workers, batchPerWorker, steps, rows - steps * global);
    }

    /** Rows {@code [from, to)} of {@link #order} for this worker at this step. */
    public int[] slice(int step, int worker) {
        int from = (step * workers + worker) * batchPerWorker;
        return new int[]{from, from + batchPerWorker};
    }

    /** For every row, the worker that takes it this epoch, or -1 for a left-out row. */
    public int[] workerOfRows() {
        int[] out = new int[order.length];
        java.util.Arrays.fill(out, -1);
        for (int step = 0; step < steps; step++) {
            for (int w = 0; w < workers; w++) {
                int[] r = slice(step, w);
                for (int k = r[0]; k < r[1]; k++) out[order[k]] = w;
            }
        }
        return out;
    }

    /** Fails, saying what to change, when {@code rows} hold no full global batch of {@code workers x batchPerWorker} rows. */
    public static void requireOneGlobalBatch(int rows, int workers, int batchPerWorker) {
        if (rows < (long) workers * batchPerWorker) {
            throw new IllegalArgumentException("the dataset has " + rows + " rows, fewer than one global batch of " + workers + " workers x "
                    + batchPerWorker + " rows; lower train.batch-per-worker or the workers");
        }
    }
}
