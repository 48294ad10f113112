package dev.permafrost.ps;

import dev.permafrost.shard.CheckFailedException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The rules of one step of the parameter service, with no transport in it, so they are the same wherever a step is
 * gathered and are tested without gRPC. A push is refused when it belongs to an older submission or freeze phase or
 * to another version; a second push of a worker for one step fails the job, unless it comes from a newer task attempt
 * (Spark restarted the barrier stage), which supersedes the waiting one; its frozen fingerprints must pass the
 * {@link FingerprintAudit}; the W-th push applies the step. Once the job has failed, every call is refused with the
 * reason. {@code R} is how a waiting push is answered (a gRPC reply on the driver).
 */
public final class StepGate<R> {
    /** A push the gate turned away without failing the job; {@link Kind} says how the caller should take it. */
    public static final class Refused extends RuntimeException {
        /** STALE: pull and go on (an older version, submission or attempt); INVALID: a malformed call; PHASE: another freeze phase. */
        public enum Kind { STALE, INVALID, PHASE }

        private final Kind kind;

        Refused(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    /**
     * What an accepted push led to: waiting replies it superseded (answer them with an error), and on the W-th push
     * the replies of every push of the step with the step's report, or why the step failed the job.
     */
    public record Outcome<R>(List<R> superseded, List<R> ready, Optional<ParameterServer.StepReport> report,
                             Optional<CheckFailedException> stepFailure, long firstPushNanos) {
        public boolean stepped() {
            return !ready.isEmpty();
        }
    }

    private record Pending<R>(GatePush push, R reply) {
    }

    private final ParameterServer core;
    private final int workers;
    private final FingerprintAudit audit;
    private final Map<Integer, Pending<R>> pending = new TreeMap<>();
    private int phase;
    private int submission;
    private long firstPushAt;
    private volatile Optional<CheckFailedException> failure = Optional.empty();

    public StepGate(ParameterServer core, int workers, int auditEvery) {
        this.core = core;
        this.workers = workers;
        this.audit = new FingerprintAudit(auditEvery, core.frozenFingerprints());
    }

    /** Takes one push. Throws {@link Refused} for a push to turn away, {@link CheckFailedException} for one that fails the job. */
    public synchronized Outcome<R> push(GatePush p, R reply) {
        requireCurrent(p.submission(), p.phase(), p.worker());
        if (p.worker() < 0 || p.worker() >= workers) {
            throw new Refused(Refused.Kind.INVALID, "worker " + p.worker() + " is outside 0.." + (workers - 1));
        }
        if (p.version() != core.version()) {
            throw new Refused(Refused.Kind.STALE, "worker " + p.worker() + " pushed for version " + p.version() + "; the server is at version "
                    + core.version() + ": pull and continue from there");
        }
        List<R> superseded = new ArrayList<>();
        Pending<R> previous = pending.get(p.worker());
        if (previous != null) {
            if (p.taskAttempt() <= previous.push().taskAttempt()) {
                throw fail(new CheckFailedException("worker " + p.worker() + " (" + p.executor() + ") pushed twice for step " + (core.version() + 1)
                        + " in submission " + submission + ": a worker pushes once per step"));
            }
            // Spark restarted the barrier stage: the new attempt's push replaces the one the failed attempt left waiting.
            pending.remove(p.worker());
            superseded.add(previous.reply());
        }
        Optional<CheckFailedException> failed = audit.check(p, core.version() + 1, core.layout(), phase);
        if (failed.isPresent()) throw fail(failed.get());
        if (pending.isEmpty()) firstPushAt = System.nanoTime();
        pending.put(p.worker(), new Pending<>(p, reply));
        if (pending.size() < workers) return new Outcome<>(superseded, List.of(), Optional.empty(), Optional.empty(), firstPushAt);
        List<Pending<R>> ready = new ArrayList<>(pending.values());
        pending.clear();
        List<R> replies = ready.stream().map(Pending::reply).toList();
        try {
            ParameterServer.StepReport report = core.step(ready.stream().map(r -> r.push().push()).toList());
            return new Outcome<>(superseded, replies, Optional.of(report), Optional.empty(), firstPushAt);
        } catch (RuntimeException e) {
            CheckFailedException check = e instanceof CheckFailedException c ? c : new CheckFailedException(e.getMessage());
            failure = Optional.of(check);
            return new Outcome<>(superseded, replies, Optional.empty(), Optional.of(check), firstPushAt);
        }
    }

    /** A pull, or any call, must be of the current submission and phase, and the job must not have failed. */
    public synchronized void requireCurrent(int presentedSubmission, int presentedPhase, int worker) {
        if (failure.isPresent()) throw failure.get();
        if (presentedSubmission != submission) {
            throw new Refused(Refused.Kind.STALE, "worker " + worker + " belongs to submission " + presentedSubmission + "; the driver is now at "
                    + "submission " + submission);
        }
        if (presentedPhase != phase) {
            throw new Refused(Refused.Kind.PHASE, "worker " + worker + " is in freeze phase " + presentedPhase + ", the server in phase " + phase);
        }
    }

    /** A new submission of an epoch's tasks; returns the replies still waiting from the old one, to be answered with an error. */
    public synchronized List<R> startSubmission(int newSubmission) {
        if (newSubmission <= submission && newSubmission != 0) {
            throw new IllegalArgumentException("submission " + newSubmission + " is not after " + submission);
        }
        submission = newSubmission;
        return drain();
    }

    /** The next freeze phase, after the core was relabelled: pushes of the old phase are refused from now on. */
    public synchronized void startPhase(int newPhase) {
        if (!pending.isEmpty()) throw new IllegalStateException("cannot change phase with " + pending.size() + " pushes waiting");
        phase = newPhase;
        audit.startPhase(core.frozenFingerprints());
    }

    public synchronized int phase() {
        return phase;
    }

    /** Records why the job must stop and returns it; later calls are refused with it. */
    public CheckFailedException fail(CheckFailedException why) {
        failure = Optional.of(why);
        return why;
    }

    /** Removes and returns every waiting reply, so no caller stays blocked on a step that will not come. */
    public synchronized List<R> drain() {
        List<R> waiting = pending.values().stream().map(Pending::reply).toList();
        pending.clear();
        return waiting;
    }

    /** Why the job must stop; empty while it may go on. */
    public Optional<CheckFailedException> failure() {
        return failure;
    }

    /** Every push whose frozen fingerprints were checked and matched. */
    public List<CheckedPush> audits() {
        return audit.passed();
    }
}
