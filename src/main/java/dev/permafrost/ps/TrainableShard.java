package dev.permafrost.ps;

import dev.permafrost.optim.OptimizerKernel;
import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Shard;

/**
 * A trainable shard's current values and its update rule: the optimizer kernel with its state, or, for running
 * statistics, DL4J's own rule {@code value -= mean update} with no state at all.
 */
final class TrainableShard {
    final Shard shard;
    final float[] values;
    /** Null for running statistics: they never see an optimizer. */
    final ShardState state;

    TrainableShard(Shard shard, float[] values, OptimizerKernel kernel) {
        this(shard, values, shard.statistic() ? null : kernel.newState(shard.length()));
    }

    TrainableShard(Shard shard, float[] values, ShardState state) {
        if (shard.frozen()) throw new IllegalArgumentException(shard.describe() + " is frozen");
        if (shard.statistic() != (state == null)) {
            throw new IllegalArgumentException(shard.describe() + (shard.statistic() ? " holds statistics and takes no optimizer state"
                    : " needs optimizer state"));
        }
        if (state != null && state.length() != shard.length()) {
            throw new IllegalArgumentException("optimizer state of " + state.length() + " elements for " + shard.describe());
        }
        this.shard = shard;
        this.values = values;
        this.state = state;
    }

    void apply(float[] meanGradient, OptimizerKernel kernel) {
        if (state == null) {
            for (int i = 0; i < values.length; i++) values[i] = values[i] - meanGradient[i];
        } else {
            kernel.step(values, 0, meanGradient, 0, values.length, state);
        }
    }
}
