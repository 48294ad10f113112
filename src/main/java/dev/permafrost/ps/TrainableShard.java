package dev.permafrost.ps;

import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.UpdateRule;

import java.util.Optional;

/**
 * A trainable shard: a view of its range of the server's one packed vector of trainable values, its transform (chosen
 * by its update rule) and that transform's state.
 */
final class TrainableShard {
    final Shard shard;
    /** The server's packed trainable values; this shard owns {@code [at, at + shard.length())}. */
    final float[] values;
    final int at;
    final ShardTransform transform;
    final Optional<ShardState> state;

    TrainableShard(Shard shard, float[] values, int at, ShardTransform transform, Optional<ShardState> state) {
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
        this.at = at;
        this.transform = transform;
        this.state = state;
    }

    /** The same shard, state and transform over another packed vector (after a relabelling moved it). */
    TrainableShard movedTo(float[] packed, int newAt) {
        System.arraycopy(values, at, packed, newAt, shard.length());
        return new TrainableShard(shard, packed, newAt, transform, state);
    }

    /** A copy of this shard's values. */
    float[] copy() {
        float[] out = new float[shard.length()];
        System.arraycopy(values, at, out, 0, out.length);
        return out;
    }

    /** One step from the packed mean gradient, which shares the values' layout. */
    void apply(float[] mean) {
        transform.apply(values, at, shard.length(), mean, at, state);
    }
}
