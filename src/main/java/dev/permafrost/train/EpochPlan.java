package dev.permafrost.train;

import java.util.Random;

/**
 * Which rows each worker takes at each step of one epoch. The order depends only on the seed and the epoch, so
 * a retried or resumed epoch sees the same split. Every worker takes the same number of steps; the last global
 * batch may be short and is split as evenly as possible (sizes differ by at most one); rows that cannot give
 * every worker at least one sample are left out and counted.
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
        int full = rows / global;
        int rest = rows - full * global;
        int steps = full + (rest >= workers ? 1 : 0);
        int dropped = rest >= workers ? 0 : rest;
        return new EpochPlan(order, workers, batchPerWorker, steps, dropped);
    }

    /** Rows {@code [from, to)} of {@link #order} for this worker at this step. */
    public int[] slice(int step, int worker) {
        int global = workers * batchPerWorker;
        int start = step * global;
        int size = Math.min(global, order.length - droppedRows - start);
        int base = size / workers;
        int extra = size % workers;
        int from = start + worker * base + Math.min(worker, extra);
        int len = base + (worker < extra ? 1 : 0);
        return new int[]{from, from + len};
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
}
