package dev.permafrost.optim;

/**
 * Optimizer state of one trainable shard. Frozen shards have none: there is no instance to update.
 */
public interface ShardState {
    /** Number of elements the state covers. */
    int length();

    /** Steps taken so far (torch.optim's per-parameter {@code step}); 0 for fresh state. */
    long step();

    /** An independent copy, for snapshots and checkpoints. */
    ShardState copy();
}
