package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.StepTimes;
import dev.permafrost.ps.CheckedPush;
import dev.permafrost.ps.rpc.ConnectionGate;
import dev.permafrost.ps.rpc.ParameterGrpcService;
import dev.permafrost.ps.rpc.Secrets;
import dev.permafrost.ps.rpc.Tls;
import dev.permafrost.shard.CheckFailedException;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.Shard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The driver's side of distributed training: the parameter server as a service, one published model per freeze
 * phase, and one run of W worker tasks per epoch. A failed epoch is resubmitted (bounded); the server keeps its
 * state and the new tasks continue at its current step, so the result equals an undisturbed run's.
 */
public final class DistributedTrainer {

    /** The outcome of a run. */
    public record Result(Network network, ParameterServer server, long steps, long bytesPushed, long pushes,
                         List<CheckedPush> audits, int resubmissions, FrozenReference frozenReference, StepTimes driverTimes,
                         List<WorkerTimes> workerTimes, double taskStartSeconds, ConnectionGate.Refusals refusals) {
    }

    /**
     * Where snapshots go, and how often: every {@code everySteps} steps (0: only at epoch ends) and at each epoch end;
     * each snapshot carries {@code job}.
     */
    public record Checkpointing(int everySteps, JobIdentity job, Consumer<TrainState> sink) {
        /** No checkpoints at all. */
        public static final Checkpointing NONE = new Checkpointing(0, JobIdentity.NONE, state -> { });

        /** Snapshots of a run that has no identity of its own (tests and benchmarks). */
        public Checkpointing(int everySteps, Consumer<TrainState> sink) {
            this(everySteps, JobIdentity.NONE, sink);
        }
    }

    /** How long a resubmission waits for lost executors to be replaced before trying with the slots there are. */
    private static final long REPLACEMENT_WAIT_SECONDS = 120;

    private final TrainingConfig config;
    private final String host;
    private final int maxEpochTries;
    private final Tls tls;

    public DistributedTrainer(TrainingConfig config, String host, int maxEpochTries) {
        this(config, host, maxEpochTries, Tls.PLAINTEXT);
    }

    /** With {@code tls} enabled, the parameter service serves TLS and the workers check it. */
    public DistributedTrainer(TrainingConfig config, String host, int maxEpochTries, Tls tls) {
        if (maxEpochTries < 1) throw new IllegalArgumentException("maxEpochTries must be >= 1, got " + maxEpochTries);
        this.config = config;
        this.host = host;
        this.maxEpochTries = maxEpochTries;
        this.tls = tls;
    }

    /** Trains from the start, without checkpoints. */
    public Result fit(Network initial, int rows, EpochRunner runner, TrainingListener listener) {
        return fit(initial, rows, runner, listener, Optional.empty(), Checkpointing.NONE);
    }

    /**
     * Trains from the start, or from {@code resume} (a checkpointed state) to the same end an uninterrupted run
     * reaches, writing snapshots to {@code checkpointing}.
     */
    public Result fit(Network initial, int rows, EpochRunner runner, TrainingListener listener, Optional<TrainState> resume,
                      Checkpointing checkpointing) {
        int w = config.workers();
        requireRunnable(rows, w, config.batchPerWorker(), runner);
        FreezePhases phases = FreezePhases.plan(config.schedule(), initial.params(), config.maxShardLength());
        int firstEpoch = resume.map(TrainState::epoch).orElse(0);
        if (resume.isPresent()) {
            // An epoch-end snapshot names the next epoch but still holds the finished epoch's labels; the loop below
            // then makes any freeze transition exactly as an uninterrupted run does.
            TrainState r = resume.get();
            phases.resumeAt(r.stepInEpoch() == 0 && r.epoch() > 0 ? r.epoch() - 1 : r.epoch(), r.phase());
        }
        ParameterServer core = resume.isEmpty()
                ? new ParameterServer(phases.layout(), initial.paramsCopy(), config.optimizer())
                : Resume.server(resume.get(), initial, phases.labels(), phases.plannedLayout(), config);
        // Frozen since the first epoch: the values of the model the run started from (on a resume too: the job identity
        // pins that model); frozen at a later phase before a resume: the values the checkpoint holds.
        FrozenReference reference = new FrozenReference();
        reference.record(phases.labels(), () -> initial, 0, FrozenReference.START, phases.frozenSinceFirstEpoch()::contains);
        reference.record(phases.labels(), () -> EpochLoop.plain(initial, core.assemble()), phases.phase(), "the resumed checkpoint (frozen at freeze phase "
                + phases.phase() + ", before the resume)", name -> true);
        String secret = Secrets.newSecret();
        var serviceSettings = new ParameterGrpcService.Settings(w, secret, host, 0, tls, Math.max(1, config.auditEvery()),
                phases.maxTrainableElements());
        try (SnapshotWriter writer = new SnapshotWriter(checkpointing.sink());
             ParameterGrpcService service = ParameterGrpcService.start(core, serviceSettings)) {
            Snapshots snapshots = new Snapshots(checkpointing, core, initial, config, writer);
            EpochSubmitter submitter = new EpochSubmitter(runner, service, core, secret, rows);
            StepProgress progress = new StepProgress(listener);
            service.onStep(r -> {
                progress.step(r);
                snapshots.afterStep(r.version(), progress.meanLoss());
            });
            if (phases.phase() != 0) service.startPhase(phases.phase());
            runner.publish(WorkerModel.of(phases.phase(), initial, core.assemble(), phases.labels(), core.layout()));
            EpochLoop.run(config, rows, firstEpoch, phases, core, reference, initial, listener, new EpochLoop.Steps() {
                @Override
                public void phaseEntered(float[] entered) {
                    service.startPhase(phases.phase());
                    runner.publish(WorkerModel.of(phases.phase(), initial, entered, phases.labels(), core.layout()));
                }

                @Override
                public Network atEpochStart() {
                    return initial;
                }

                @Override
                public long startVersion(int epoch) {
                    return resume.isPresent() && epoch == resume.get().epoch() ? resume.get().epochStartVersion() : core.version();
                }

                @Override
                public EpochLoop.Ran run(int epoch, long start, EpochPlan plan) {
                    snapshots.at(epoch, start, phases);
                    progress.startEpoch(epoch, start, plan.steps());
                    int auditsBefore = service.audits().size();
                    long epochStarted = System.nanoTime();
                    submitter.run(epoch, start, plan.steps(), phases.phase());
                    double seconds = (System.nanoTime() - epochStarted) / 1e9;
                    List<CheckedPush> all = service.audits();
                    List<CheckedPush> epochAudits = all.subList(auditsBefore, all.size());
                    return new EpochLoop.Ran(progress.meanLoss(), progress.samples(), seconds, epochAudits.size(),
                            epochAudits.stream().mapToLong(CheckedPush::shardsChecked).sum());
                }

                @Override
                public void ended(int epoch) {
                    snapshots.at(epoch + 1, core.version(), phases);
                    snapshots.save(core.version(), progress.meanLoss());
                }
            });
            writer.finish();
            Network finalNetwork = initial.rebuild(phases.labels(), core.assemble());
            return new Result(finalNetwork, core, core.version(), service.bytesPushed(), service.pushes(), service.audits(),
                    submitter.resubmitted, reference, service.stepTimes().plus(writer.writeTimes()), WorkerTimes.of(submitter.reports),
                    service.taskStartNanos() / 1e9, service.refusals());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the parameter service on " + host + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails, saying what to change, when the rows hold no full global batch ({@code workers x batchPerWorker} rows:
     * every step is one) or the runner has fewer free slots than workers.
     */
    public static void requireRunnable(int rows, int workers, int batchPerWorker, EpochRunner runner) {
        EpochPlan.requireOneGlobalBatch(rows, workers, batchPerWorker);
        if (runner.slots() >= 0 && runner.slots() < workers) {
            throw new IllegalArgumentException("the cluster has " + runner.slots() + " free task slots but " + workers + " workers were "
                    + "asked for; every worker runs as one task of a barrier stage, all at once. Lower --workers to at most "
                    + runner.slots() + " or give the job more executors or cores.");
        }
    }

    /** Submits an epoch's worker tasks, and resubmits them after a failure up to {@code maxEpochTries} tries in all. */
    private final class EpochSubmitter {
        private final EpochRunner runner;
        private final ParameterGrpcService service;
        private final ParameterServer core;
        private final String secret;
        private final int rows;
        /** Every submission of the run gets the next number, so the service can refuse calls from superseded ones. */
        private int submissions;
        private int resubmitted;
        /** Every finished task's report. */
        private final List<RemoteWorker.Report> reports = new ArrayList<>();

        EpochSubmitter(EpochRunner runner, ParameterGrpcService service, ParameterServer core, String secret, int rows) {
            this.runner = runner;
            this.service = service;
            this.core = core;
            this.secret = secret;
            this.rows = rows;
        }

        void run(int epoch, long start, int steps, int phase) {
            for (int tries = 1; ; tries++) {
                int submission = ++submissions;
                service.startSubmission(submission);
                EpochSpec spec = new EpochSpec(epoch, submission, phase, start, config.workers(), config.batchPerWorker(), config.seed(),
                        rows, host, service.port(), secret, tls.trust(), config.auditEvery(), EpochSpec.DEFAULT_CALL_TIMEOUT);
                try {
                    reports.addAll(runner.run(spec));
                    return;
                } catch (CheckFailedException e) {
                    throw e; // a failed check (a frozen copy differs) is not retried
                } catch (Exception e) { // SparkException is checked but undeclared by Scala's collect()
                    if (service.failure().isPresent()) {
                        // The service's reason, of its own type: a failed check exits 1, not 2.
                        CheckFailedException why = service.failure().get();
                        why.addSuppressed(e);
                        throw why;
                    }
                    if (JvmShutdown.inProgress()) {
                        throw new IllegalStateException("stopped by a signal (SIGINT or SIGTERM) in epoch " + (epoch + 1) + "/" + config.epochs()
                                + " at step " + (core.version() - start) + " of " + steps + "; rerun the same command to resume from the last checkpoint", e);
                    }
                    // DL4J refusing the model, or a frozen part's non-finite outputs: every try would fail the same way.
                    var modelFailure = dev.permafrost.network.ModelFailure.in(e);
                    if (modelFailure.isPresent()) {
                        throw new dev.permafrost.network.ModelFailure("epoch " + (epoch + 1) + "/" + config.epochs() + " at step " + (core.version() - start) + " of " + steps
                                + " (not retried: it fails the same way on every try): " + modelFailure.get().getMessage(), e);
                    }
                    if (tries >= maxEpochTries) {
                        throw new IllegalStateException("epoch " + (epoch + 1) + "/" + config.epochs() + " failed " + tries + " times; last error: " + e.getMessage(), e);
                    }
                    resubmitted++;
                    System.err.printf("epoch %d/%d failed at step %d of %d (%s); resubmitting, try %d of %d%n", epoch + 1, config.epochs(),
                            core.version() - start, steps, firstLine(e.getMessage()), tries + 1, maxEpochTries);
                    runner.awaitSlots(config.workers(), REPLACEMENT_WAIT_SECONDS);
                }
            }
        }
    }

    /** Builds training-state snapshots at the trainer's current position and hands them to the sink. */
    private static final class Snapshots {
        private final Checkpointing checkpointing;
        private final ParameterServer core;
        private final String configJson;
        private final boolean graph;
        private final List<String> names;
        private final TrainingConfig config;
        private final SnapshotWriter writer;
        private volatile int epoch;
        private volatile long epochStart;
        private volatile int phase;
        private volatile ParamLabels labels;

        Snapshots(Checkpointing checkpointing, ParameterServer core, Network network, TrainingConfig config, SnapshotWriter writer) {
            this.checkpointing = checkpointing;
            this.writer = writer;
            this.core = core;
            this.configJson = Dl4jNetworks.configJson(network);
            this.graph = Dl4jNetworks.isGraph(network);
            this.names = network.params().names();
            this.config = config;
        }

        void at(int nextEpoch, long start, FreezePhases phases) {
            epoch = nextEpoch;
            epochStart = start;
            phase = phases.phase();
            labels = phases.labels();
        }

        void afterStep(long version, double meanLoss) {
            if (checkpointing.everySteps() > 0 && version % checkpointing.everySteps() == 0) save(version, meanLoss);
        }

        void save(long version, double meanLoss) {
            if (checkpointing == Checkpointing.NONE) return;
            float[] params = core.assemble();
            List<TrainState.ShardRecord> shards = new ArrayList<>();
            for (Shard s : core.layout().shards()) {
                shards.add(new TrainState.ShardRecord(s.offset(), s.length(), s.statistic(), s.label(),
                        Fingerprint.of(params, s.start(), s.length())));
            }
            // Taken here, in the step; written on the writer's thread, so the step does not wait for the filesystem.
            writer.write(new TrainState(version, epoch, epochStart, config.seed(), phase, configJson, graph, params, names,
                    labels.labels(), TrainState.SchedulePhase.of(config.schedule()), shards, config.optimizer().describe(),
                    core.optimizerStates(), Double.isNaN(meanLoss) ? Double.MAX_VALUE : meanLoss, checkpointing.job()));
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Turns the service's step reports into progress events for the listener. */
    private static final class StepProgress {
        private final TrainingListener listener;
        private int epoch;
        private long startVersion;
        private int steps;
        private long started;
        private long samples;
        private double lossSum;

        StepProgress(TrainingListener listener) {
            this.listener = listener;
        }

        synchronized void startEpoch(int e, long start, int stepsInEpoch) {
            epoch = e;
            startVersion = start;
            steps = stepsInEpoch;
            started = System.nanoTime();
            samples = 0;
            lossSum = 0;
        }

        synchronized void step(ParameterServer.StepReport r) {
            samples += r.samples();
            lossSum += r.meanLoss() * r.samples();
            int step = (int) (r.version() - startVersion - 1);
            double seconds = (System.nanoTime() - started) / 1e9;
            listener.onStep(new TrainingListener.StepEvent(epoch, step, steps, r.version(), r.samples(), r.meanLoss(),
                    samples / Math.max(seconds, 1e-9), (steps - step - 1) * seconds / (step + 1)), Optional.empty());
        }

        synchronized double meanLoss() {
            return lossSum / Math.max(1, samples);
        }

        synchronized long samples() {
            return samples;
        }
    }
}
