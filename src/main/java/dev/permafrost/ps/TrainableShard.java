package dev.permafrost.ps;

import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.UpdateRule;

import java.util.Optional;

/** A trainable shard's current values, its transform (chosen by its update rule) and that transform's state. */
final class TrainableShard {
    final Shard shard;
    final float[] values;
    final ShardTransform transform;
    final Optional<ShardState> state;

    /** Fresh state (step 0). */
    TrainableShard(Shard shard, float[] values, ShardTransform transform) {
        this(shard, values, transform, transform.init(shard.length()));
    }

    TrainableShard(Shard shard, float[] values, ShardTransform transform, Optional<ShardState> state) {
        if (shard.frozen()) throw new IllegalArgumentException(shard.describe() + " is frozen");
        boolean wantsState = shard.rule() == UpdateRule.OPTIMIZER;
        if (wantsState != state.isPresent()) {
            throw new IllegalArgumentException(shard.describe() + (wantsState ? " needs optimizer state"
                    : " holds statistics and takes no optimizer state"));
        }
        if (state.isPresent() && state.get().length() != shard.length()) {
            throw new IllegalArgumentException("optimizer state of " + state.get().length() + " elements for " + shard.describe());
        }
        this.shard = shard;
        this.values = values;
        this.transform = transform;
        this.state = state;
    }

    void apply(float[] mean, int from) {
        transform.apply(values, mean, from, state);
    }
}
