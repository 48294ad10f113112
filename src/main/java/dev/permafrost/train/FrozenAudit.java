package dev.permafrost.train;

import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;

import java.util.Map;

/** Compares a copy of the parameters with the canonical fingerprints of the frozen shards. */
public final class FrozenAudit {
    private FrozenAudit() {
    }

    /** Number of shards checked; throws naming the first shard that differs, the step and where the copy lives. */
    public static int check(float[] flat, ShardLayout layout, Map<Integer, Long> canonical, String where, long step) {
        int checked = 0;
        for (Shard s : layout.frozen()) {
            long expected = canonical.get(s.index());
            long actual = Fingerprint.of(flat, s.start(), s.length());
            if (actual != expected) {
                throw new FrozenCopyMismatchException("frozen " + s.describe() + " changed on " + where + " at step " + step
                        + ": fingerprint " + Fingerprint.hex(actual) + ", canonical " + Fingerprint.hex(expected));
            }
            checked++;
        }
        return checked;
    }
}
