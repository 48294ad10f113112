package dev.permafrost.shard;

import dev.permafrost.freeze.Label;

/**
 * What happens to a shard at every step, stated as data on the shard (as optax's {@code multi_transform} labels
 * parameters) instead of being inferred from whether optimizer state exists.
 */
public enum UpdateRule {
    /** The optimizer's kernel moves the values, with per-shard optimizer state. */
    OPTIMIZER,
    /** A running statistic (BatchNorm mean, variance): DL4J's own rule {@code value -= mean update}, no optimizer state. */
    RUNNING_STATISTIC,
    /** Nothing: the shard has no state and no code path that writes it. */
    FROZEN;

    /** The rule for a shard holding running statistics or not, under a freeze label. */
    public static UpdateRule of(boolean statistic, Label label) {
        if (label == Label.FROZEN) return FROZEN;
        return statistic ? RUNNING_STATISTIC : OPTIMIZER;
    }

    public Label label() {
        return this == FROZEN ? Label.FROZEN : Label.TRAINABLE;
    }
}
