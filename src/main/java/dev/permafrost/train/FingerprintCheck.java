package dev.permafrost.train;

import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;

import java.nio.FloatBuffer;
import java.util.Map;

/** Compares a network's frozen copies with the canonical fingerprints of the frozen shards. */
public final class FingerprintCheck {
    private FingerprintCheck() {
    }

    /** Number of shards checked; throws naming the first shard that differs, the step and where the copy lives. */
    public static int check(FloatBuffer flat, ShardLayout layout, Map<Integer, Long> canonical, String where, long step) {
        int checked = 0;
        Map<Integer, Long> copies = Fingerprint.ofFrozen(flat, layout);
        for (Shard s : layout.frozen()) {
            long expected = canonical.get(s.index());
            long actual = copies.get(s.index());
            if (actual != expected) {
                throw new FrozenCopyMismatchException("frozen " + s.describe() + " changed on " + where + " at step " + step
                        + ": fingerprint " + Fingerprint.hex(actual) + ", canonical " + Fingerprint.hex(expected));
            }
            checked++;
        }
        return checked;
    }
}
