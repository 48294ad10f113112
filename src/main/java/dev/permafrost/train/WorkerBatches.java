package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import org.nd4j.linalg.dataset.DataSet;

/** The minibatches one worker takes in one epoch, by step. */
public interface WorkerBatches {
    int steps();

    DataSet batch(int step);

    /** Worker {@code worker}'s slices of an in-memory dataset under an epoch plan. */
    static WorkerBatches of(LabeledData data, EpochPlan plan, int worker) {
        return new WorkerBatches() {
            @Override
            public int steps() {
                return plan.steps();
            }

            @Override
            public DataSet batch(int step) {
                int[] r = plan.slice(step, worker);
                return data.batch(plan.order(), r[0], r[1]);
            }
        };
    }
}
