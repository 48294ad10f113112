package dev.permafrost.ps;

import dev.permafrost.shard.CheckFailedException;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parameter service's check of the frozen fingerprints a push carries: all frozen shards of the phase or none,
 * all of them on every step the audit covers, every one equal to the canonical fingerprint; and the record of each
 * push that passed, for audit.json.
 */
public final class FingerprintAudit {
    private final int auditEvery;
    private volatile Map<Integer, Long> canonical;
    private final List<CheckedPush> passed = Collections.synchronizedList(new ArrayList<>());

    FingerprintAudit(int auditEvery, Map<Integer, Long> canonical) {
        this.auditEvery = auditEvery;
        this.canonical = Map.copyOf(canonical);
    }

    /**
     * The audit-step rule, written once: a push for {@code step} must carry every frozen fingerprint when the audit
     * runs on every step ({@code auditEvery <= 1}) or the step is divisible by {@code auditEvery}. Workers add their
     * first and last push of a task.
     */
    public static boolean required(int auditEvery, long step) {
        return auditEvery <= 1 || step % auditEvery == 0;
    }

    /** A new freeze phase: its frozen shards' canonical fingerprints. */
    void startPhase(Map<Integer, Long> phaseCanonical) {
        canonical = Map.copyOf(phaseCanonical);
    }

    /** Why {@code push}, for {@code step}, fails the job; empty when it passes (and is then recorded). */
    Optional<CheckFailedException> check(GatePush push, long step, ShardLayout layout, int phase) {
        boolean required = required(auditEvery, step);
        int sent = push.fingerprints().size();
        if (!canonical.isEmpty() && (required || sent > 0) && !push.fingerprints().keySet().equals(canonical.keySet())) {
            return Optional.of(new CheckFailedException("worker " + push.worker() + " (" + push.executor() + ") sent fingerprints of "
                    + sent + " of the " + canonical.size() + " frozen shards at step " + step + "; every push"
                    + (auditEvery <= 1 ? "" : " on a step divisible by " + auditEvery) + " must carry all of them "
                    + new java.util.TreeSet<>(canonical.keySet())));
        }
        if (sent == 0) return Optional.empty();
        for (var e : push.fingerprints().entrySet()) {
            Long expected = canonical.get(e.getKey());
            if (expected == null) {
                return Optional.of(new CheckFailedException("executor " + push.executor() + " (worker " + push.worker() + ") reported shard "
                        + e.getKey() + " as frozen at step " + step + ", but it is not frozen in phase " + phase));
            }
            if (!expected.equals(e.getValue())) {
                Shard s = layout.shards().get(e.getKey());
                return Optional.of(new FrozenCopyMismatchException("frozen " + s.describe() + " changed on executor " + push.executor()
                        + " (worker " + push.worker() + ") at step " + step + ": fingerprint " + Fingerprint.hex(e.getValue())
                        + ", canonical " + Fingerprint.hex(expected)));
            }
        }
        passed.add(new CheckedPush(push.executor(), push.worker(), step, sent));
        return Optional.empty();
    }

    /** Every push whose fingerprints were checked and matched. */
    List<CheckedPush> passed() {
        synchronized (passed) {
            return List.copyOf(passed);
        }
    }
}
