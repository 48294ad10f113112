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

    public Result fit(Network initial, int rows, EpochRunner runner, TrainingListener listener) {
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
        ParamLabels labels = FreezeSchedule.labelsAt(phases, 0);
        ParameterServer core = new ParameterServer(layout.withLabels(labels), initial.paramsCopy(), config.optimizer());
        String secret = Secrets.newSecret();
        int phase = 0;
        int resubmissions = 0;
        int attempts = 0;
        try (ParameterService service = ParameterService.start(core, w, secret, host, 0, tls)) {
            StepProgress progress = new StepProgress(listener);
            service.onStep(progress::step);
            runner.publish(WorkerModel.of(phase, initial, core.assemble(), labels, core.layout()));
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
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
                long start = core.version();
                progress.startEpoch(epoch, start, EpochPlan.of(rows, w, config.batchPerWorker(), config.seed(), epoch).steps());
                int steps = EpochPlan.of(rows, w, config.batchPerWorker(), config.seed(), epoch).steps();
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
            }
            Network finalNetwork = initial.rebuild(labels, core.assemble());
            return new Result(finalNetwork, core, core.version(), service.bytesPushed(), service.pushes(), service.audits(), resubmissions);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the parameter service on " + host + ": " + e.getMessage(), e);
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
