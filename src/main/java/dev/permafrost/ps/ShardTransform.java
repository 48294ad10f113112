package dev.permafrost.ps;

import dev.permafrost.optim.OptimizerKernel;
import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.UpdateRule;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * What one step does to the values of a trainable shard, given the mean gradient over all workers' samples: a pair
 * of {@code init} and {@code apply}, as in optax. Which transform a shard gets is decided by its {@link UpdateRule}
 * alone, through {@link #byRule}; the frozen rule maps to no transform, so no code path can update a frozen shard.
 */
sealed interface ShardTransform {

    /** Fresh state for a shard of {@code length} elements; empty for a transform that keeps none. */
    Optional<ShardState> init(int length);

    /** Moves {@code values[at, at + length)} by {@code mean[from, from + length)}. */
    void apply(float[] values, int at, int length, float[] mean, int from, Optional<ShardState> state);

    /** The transform of every rule that has one: the optimizer's kernel, and DL4J's running-statistic rule. */
    static Map<UpdateRule, ShardTransform> byRule(OptimizerKernel kernel) {
        Map<UpdateRule, ShardTransform> out = new EnumMap<>(UpdateRule.class);
        out.put(UpdateRule.OPTIMIZER, new OptimizerStep(kernel));
        out.put(UpdateRule.RUNNING_STATISTIC, new RunningStatistic());
        return out;
    }

    /** The optimizer's kernel with per-shard state. */
    record OptimizerStep(OptimizerKernel kernel) implements ShardTransform {
        @Override
        public Optional<ShardState> init(int length) {
            return Optional.of(kernel.newState(length));
        }

        @Override
        public void apply(float[] values, int at, int length, float[] mean, int from, Optional<ShardState> state) {
            kernel.step(values, at, mean, from, length,
                    state.orElseThrow(() -> new IllegalStateException("an optimizer shard has no optimizer state")));
        }
    }

    /** DL4J reports a running statistic's "gradient" as the update itself, so it is subtracted as it is. */
    record RunningStatistic() implements ShardTransform {
        @Override
        public Optional<ShardState> init(int length) {
            return Optional.empty();
        }

        @Override
        public void apply(float[] values, int at, int length, float[] mean, int from, Optional<ShardState> state) {
            for (int i = 0; i < length; i++) values[at + i] = values[at + i] - mean[from + i];
        }
    }
}
