package dev.permafrost.ps;

import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.Shard;

/**
 * The canonical value of a frozen shard. Immutable: its array is a private copy that no method writes, and
 * it carries the fingerprint every other copy must match.
 */
public final class FrozenShard {
    private final Shard shard;
    private final float[] values;
    private final long fingerprint;

    FrozenShard(Shard shard, float[] values) {
        if (!shard.frozen()) throw new IllegalArgumentException(shard.describe() + " is not frozen");
        if (values.length != shard.length()) throw new IllegalArgumentException("value length " + values.length + " != " + shard.describe());
        this.shard = shard;
        this.values = values.clone();
        this.fingerprint = Fingerprint.of(this.values);
    }

    public Shard shard() {
        return shard;
    }

    public long fingerprint() {
        return fingerprint;
    }

    /** Copies the values into a full flat vector at the shard's offset. */
    public void copyInto(float[] flat) {
        System.arraycopy(values, 0, flat, shard.start(), values.length);
    }

    float[] copy() {
        return values.clone();
    }
}
