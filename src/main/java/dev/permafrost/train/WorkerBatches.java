package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import org.nd4j.linalg.dataset.DataSet;

/** The minibatches one worker takes in one epoch, by step. */
public interface WorkerBatches {
    int steps();

    DataSet batch(int step);

    /** Worker {@code worker}'s slices of an in-memory dataset under an epoch plan. */
    static WorkerBatches of(LabeledData data, EpochPlan plan, int worker) {
        return of(data, plan, worker, java.util.function.IntUnaryOperator.identity());
    }

    /**
     * The same, for a dataset holding only part of the rows: {@code localIndex} maps a row's global index (as the plan
     * numbers it) to its position in {@code data}.
     */
    static WorkerBatches of(LabeledData data, EpochPlan plan, int worker, java.util.function.IntUnaryOperator localIndex) {
        return new WorkerBatches() {
            @Override
            public int steps() {
                return plan.steps();
            }

            @Override
            public DataSet batch(int step) {
                int[] r = plan.slice(step, worker);
                int[] rows = new int[r[1] - r[0]];
                for (int k = r[0]; k < r[1]; k++) rows[k - r[0]] = localIndex.applyAsInt(plan.order()[k]);
                return data.batch(rows, 0, rows.length);
            }
        };
    }
}
