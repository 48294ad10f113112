package dev.permafrost.train;

import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.rpc.AuditRecord;
import dev.permafrost.ps.rpc.ParameterService;
import dev.permafrost.ps.rpc.Secrets;
import dev.permafrost.ps.rpc.Tls;
import dev.permafrost.shard.ShardLayout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The driver's side of distributed training: the parameter server as a service, one published model per freeze
 * phase, and one run of W worker tasks per epoch. A failed epoch is resubmitted (bounded); the server keeps its
 * state and the new tasks continue at its current step, so the result equals an undisturbed run's.
 */
public final class DistributedTrainer {

    /** The outcome of a run. */
    public record Result(Network network, ParameterServer server, long steps, long bytesPushed, long pushes,
                         List<AuditRecord> audits, int resubmissions) {
    }

    private final TrainingConfig config;
    private final String host;
    private final int maxEpochAttempts;
    private final Tls tls;

    public DistributedTrainer(TrainingConfig config, String host, int maxEpochAttempts) {
        this(config, host, maxEpochAttempts, null);
    }

    /** With {@code tls} not null, the parameter service serves TLS and the workers check it. */
    public DistributedTrainer(TrainingConfig config, String host, int maxEpochAttempts, Tls tls) {
        if (maxEpochAttempts < 1) throw new IllegalArgumentException("maxEpochAttempts must be >= 1");
        this.config = config;
        this.host = host;
        this.maxEpochAttempts = maxEpochAttempts;
        this.tls = tls;
    }

    /** Where snapshots go, and how often: every {@code everySteps} steps (0: only at epoch ends) and at each epoch end. */
    public record Checkpointing(int everySteps, java.util.function.Consumer<TrainState> sink) {
    }

    public Result fit(Network initial, int rows, EpochRunner runner, TrainingListener listener) {
        return fit(initial, rows, runner, listener, null, null);
    }

    /**
     * Trains from the start, or from {@code resume} (a checkpointed state) to the same end an uninterrupted run
     * reaches, writing snapshots to {@code checkpointing} when given.
     */
    public Result fit(Network initial, int rows, EpochRunner runner, TrainingListener listener, TrainState resume,
                      Checkpointing checkpointing) {
        int w = config.workers();
        if (rows < w) throw new IllegalArgumentException("the dataset has " + rows + " rows, fewer than the " + w + " workers");
        if (runner.slots() >= 0 && runner.slots() < w) {
            throw new IllegalArgumentException("the cluster has " + runner.slots() + " free task slots but " + w + " workers were asked "
                    + "for; every worker runs as one task of a barrier stage, all at once. Lower --workers to at most "
                    + runner.slots() + " or give the job more executors or cores.");
        }
        List<FreezeSchedule.ResolvedPhase> phases = config.schedule().resolve(initial.params());
        ShardLayout layout = ShardLayout.plan(initial.params(), phases.stream().map(FreezeSchedule.ResolvedPhase::labels).toList(),
                config.maxShardLength());
        int firstEpoch = resume == null ? 0 : resume.epoch();
        // An epoch-end snapshot names the next epoch but still holds the finished epoch's labels; the loop below
        // then makes any freeze transition exactly as an uninterrupted run does.
        int labelEpoch = resume != null && resume.stepInEpoch() == 0 && resume.epoch() > 0 ? resume.epoch() - 1 : firstEpoch;
        ParamLabels labels = FreezeSchedule.labelsAt(phases, labelEpoch);
        ParameterServer core = resume == null
                ? new ParameterServer(layout.withLabels(labels), initial.paramsCopy(), config.optimizer())
                : Resume.server(resume, initial, labels, layout, config);
        String secret = Secrets.newSecret();
        int phase = resume == null ? 0 : resume.phase();
        Snapshots snapshots = new Snapshots(checkpointing, core, initial, config);
        int resubmissions = 0;
        int attempts = 0;
        try (ParameterService service = ParameterService.start(core, w, secret, host, 0, tls)) {
            StepProgress progress = new StepProgress(listener);
            service.onStep(r -> {
                progress.step(r);
                snapshots.afterStep(r.version(), progress.meanLoss());
            });
            if (phase != 0) service.startPhase(phase);
            runner.publish(WorkerModel.of(phase, initial, core.assemble(), labels, core.layout()));
            for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
                ParamLabels epochLabels = FreezeSchedule.labelsAt(phases, epoch);
                ParameterServer.Transition transition = new ParameterServer.Transition(List.of(), List.of());
                if (!epochLabels.equals(labels)) {
                    transition = core.relabel(layout.withLabels(epochLabels));
                    labels = epochLabels;
                    phase++;
                    service.startPhase(phase);
                    runner.publish(WorkerModel.of(phase, initial, core.assemble(), labels, core.layout()));
                }
                listener.onEpochStart(epoch, labels, transition, initial);
                long start = resume != null && epoch == resume.epoch() ? resume.epochStartVersion() : core.version();
                snapshots.at(epoch, start, phase, labels);
                int steps = EpochPlan.of(rows, w, config.batchPerWorker(), config.seed(), epoch).steps();
                progress.startEpoch(epoch, start, steps);
                EpochTask task = null;
                for (int attempt = 1; ; attempt++) {
                    service.startAttempt(++attempts);
                    task = new EpochTask(epoch, attempts, phase, start, w, config.batchPerWorker(), config.seed(), rows, host,
                            service.port(), secret, tls, config.auditEvery(), 600);
                    try {
                        runner.run(task);
                        break;
                    } catch (Exception e) { // SparkException is checked but undeclared by Scala's collect()
                        if (service.failure() != null) throw new IllegalStateException(service.failure(), e);
                        if (attempt >= maxEpochAttempts) {
                            throw new IllegalStateException("epoch " + epoch + " failed " + attempt + " times; last error: " + e.getMessage(), e);
                        }
                        resubmissions++;
                        System.err.printf("epoch %d failed at step %d of %d (%s); resubmitting, attempt %d of %d%n", epoch,
                                core.version() - start, steps, firstLine(e.getMessage()), attempt + 1, maxEpochAttempts);
                        runner.awaitSlots(w, 120);
                    }
                }
                if (core.version() != start + steps) {
                    throw new IllegalStateException("epoch " + epoch + " ended at version " + core.version() + ", expected "
                            + (start + steps));
                }
                listener.onEpochEnd(epoch, progress.meanLoss(), task.plan().droppedRows());
                snapshots.at(epoch + 1, core.version(), phase, labels);
                snapshots.save(core.version(), progress.meanLoss());
            }
            Network finalNetwork = initial.rebuild(labels, core.assemble());
            return new Result(finalNetwork, core, core.version(), service.bytesPushed(), service.pushes(), service.audits(), resubmissions);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the parameter service on " + host + ": " + e.getMessage(), e);
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
        private volatile int epoch;
        private volatile long epochStart;
        private volatile int phase;
        private volatile ParamLabels labels;

        Snapshots(Checkpointing checkpointing, ParameterServer core, Network network, TrainingConfig config) {
            this.checkpointing = checkpointing;
            this.core = core;
            this.configJson = Dl4jNetworks.configJson(network);
            this.graph = Dl4jNetworks.isGraph(network);
            this.names = network.params().names();
            this.config = config;
        }

        void at(int e, long start, int p, ParamLabels l) {
            epoch = e;
            epochStart = start;
            phase = p;
            labels = l;
        }

        void afterStep(long version, double meanLoss) {
            if (checkpointing != null && checkpointing.everySteps() > 0 && version % checkpointing.everySteps() == 0) save(version, meanLoss);
        }

        void save(long version, double meanLoss) {
            if (checkpointing == null) return;
            float[] params = core.assemble();
            List<TrainState.ShardRecord> shards = new java.util.ArrayList<>();
            for (var s : core.layout().shards()) {
                shards.add(new TrainState.ShardRecord(s.offset(), s.length(), s.statistic(), s.label(),
                        dev.permafrost.shard.Fingerprint.of(params, s.start(), s.length())));
            }
            checkpointing.sink().accept(new TrainState(version, epoch, epochStart, config.seed(), phase, configJson, graph, params, names,
                    labels.labels(), TrainState.SchedulePhase.of(config.schedule()), shards, config.optimizer().describe(),
                    core.optimizerStates(), Double.isNaN(meanLoss) ? Double.MAX_VALUE : meanLoss));
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
                    samples / Math.max(seconds, 1e-9), (steps - step - 1) * seconds / (step + 1)), null);
        }

        synchronized double meanLoss() {
            return lossSum / Math.max(1, samples);
        }
    }
}
