package dev.permafrost.report;


import dev.permafrost.freeze.Label;
import dev.permafrost.ps.StepTimes;
import dev.permafrost.ps.CheckedPush;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.Shard;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.FrozenReference;
import dev.permafrost.train.TrainingConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** What a training job writes beside its model: {@code metrics.json} and {@code audit.json}, as records the JSON mirrors. */
public final class RunReport {
    /** How fingerprints are computed, so anyone can recompute one from model.zip. */
    public static final String FINGERPRINT = "XXH64, seed 0, over the little-endian bytes of each float32's raw bits, per shard";

    private RunReport() {
    }

    /**
     * metrics.json; absent numbers (no test data, no resume) are left out of the file. {@code perEpoch} lists the epochs
     * this process ran (after a resume, those from the resume point on); {@code stepLoss} a bounded sample of steps.
     */
    public record Metrics(String job, int rows, long droppedRows, int workers, int batchPerWorker, int epochs, long steps, long stepsRun, double seconds,
                   Optional<Double> samplesPerSecond, long bytesPushedPerStep, long trainableElements, long frozenElements,
                   int resubmittedEpochs, Optional<Double> testAccuracy, String optimizer, int checkpointsWritten, double checkpointSeconds,
                   long checkpointBytes, Optional<Long> resumedFromVersion, StepBreakdown stepTimes, List<EpochHistory.Epoch> perEpoch,
                   EpochHistory.StepLosses stepLoss, ServiceRefusals parameterServiceRefused) {
    }

    /**
     * What the parameter service turned away: connections refused at a cap, displaced or closed at the authentication
     * deadline before making a call with the job's secret, and calls without the secret.
     */
    public record ServiceRefusals(long connections, long connectionsRefusedAtCap, long connectionsDisplaced, long connectionsPastDeadline,
                           long calls) {
    }

    /**
     * Where a step's time went, in milliseconds per step: on the driver (its parts of the step, and the checkpoint
     * writes on their own thread) and on every worker; {@code taskStartSeconds} is the time from submitting each epoch
     * to its first task asking for values (routing rows, shipping the model, starting tasks, building networks and, in
     * a freeze phase's first epoch, computing the frozen prefix's outputs once).
     */
    public record StepBreakdown(long driverSteps, Map<String, Double> driverMsPerStep, double taskStartSeconds, List<WorkerBreakdown> workers) {
    }

    /** One worker's parts of its steps on one executor. */
    public record WorkerBreakdown(int worker, String executor, long steps, Map<String, Double> msPerStep) {
    }

    /** A frozen parameter of the written model.zip compared, bit for bit, with the values it was frozen with. */
    public record FrozenParameter(String name, int frozenSincePhase, String comparedWith, long elementsCompared, long differingElements,
                           String result) {
    }

    /** The pushes of one executor whose fingerprints the service checked: which steps, how many shards in all. */
    public record ExecutorChecks(String executor, List<Integer> workers, int pushesChecked, long shardChecks, String steps) {
    }

    /** One frozen shard of the written model: where it is, its fingerprint, and whether that is the canonical one. */
    public record FrozenShard(int shard, List<String> params, long offset, int length, String fingerprint, boolean matchesCanonical) {
    }

    /** Where a worker computed its gradients: its executor, the GPU address Spark assigned it ("" for none), the device. */
    public record WorkerDeviceRecord(int worker, String executor, String gpuAddress, String device) {
    }

    /** audit.json: every sentence in it is computed by the run that wrote it. */
    public record Audit(String fingerprint, int auditEvery, boolean frozenIdentical, List<FrozenParameter> frozenParameters,
                 List<ExecutorChecks> executors, List<FrozenShard> frozenShards, List<String> freezePatterns,
                 List<WorkerDeviceRecord> workers) {
    }

    /** The one warning line about devices a run prints, when some worker could not run where Spark asked; else empty. */
    public static java.util.Optional<String> deviceWarning(DistributedTrainer.Result r) {
        Map<String, java.util.TreeSet<Integer>> byWarning = new TreeMap<>();
        for (var w : r.workerTimes()) {
            if (!w.device().warning().isEmpty()) byWarning.computeIfAbsent(w.device().warning(), k -> new TreeSet<>()).add(w.worker());
        }
        if (byWarning.isEmpty()) return java.util.Optional.empty();
        List<String> parts = new ArrayList<>();
        byWarning.forEach((warning, workers) -> parts.add("workers " + workers + ": " + warning));
        return java.util.Optional.of("warning: " + String.join("; ", parts));
    }

    /** What the run's checkpoints cost: how many were written, the seconds spent writing them, the last one's size. */
    public record CheckpointCosts(int count, double seconds, long lastBytes) {
    }

    public static Metrics metrics(String job, TrainingConfig c, DistributedTrainer.Result r, long stepsRun, double seconds, long samples, Optional<Double> accuracy,
                           int rows, long dropped, CheckpointCosts checkpoints, Optional<Long> resumedFrom, EpochHistory history) {
        return new Metrics(job, rows, dropped, c.workers(), c.batchPerWorker(), c.epochs(), r.steps(), stepsRun, seconds,
                stepsRun == 0 ? Optional.empty() : Optional.of(samples / seconds),
                r.bytesPushed() / Math.max(1, stepsRun), r.server().layout().elements(Label.TRAINABLE),
                r.server().layout().elements(Label.FROZEN), r.resubmissions(), accuracy, c.optimizer().describe(), checkpoints.count(),
                checkpoints.seconds(), checkpoints.lastBytes(), resumedFrom, breakdown(r), history.epochs(), history.stepLosses(),
                new ServiceRefusals(r.refusals().connections(), r.refusals().connectionsRefused(), r.refusals().connectionsDisplaced(),
                        r.refusals().connectionsExpired(), r.refusals().callsRefused()));
    }

    public static StepBreakdown breakdown(DistributedTrainer.Result r) {
        List<WorkerBreakdown> workers = r.workerTimes().stream()
                .map(w -> new WorkerBreakdown(w.worker(), w.executor(), w.times().steps(), w.times().millisPerStep())).toList();
        return new StepBreakdown(r.driverTimes().steps(), r.driverTimes().millisPerStep(), r.taskStartSeconds(), workers);
    }

    /** The run's one-line step summary: the workers' parts averaged over workers, then the driver's. */
    public static String stepLine(DistributedTrainer.Result r) {
        StringBuilder sb = new StringBuilder("per step (ms): workers");
        String sep = " ";
        for (StepTimes.Part p : StepTimes.Part.values()) {
            double sum = 0;
            long steps = 0;
            for (var w : r.workerTimes()) {
                sum += w.times().nanos(p);
                steps += w.times().steps();
            }
            if (sum > 0 && steps > 0) {
                sb.append(sep).append(p.label()).append(' ').append(String.format(java.util.Locale.ROOT, "%.2f", sum / 1e6 / steps));
                sep = ", ";
            }
        }
        sb.append("; driver");
        sep = " ";
        for (var e : r.driverTimes().millisPerStep().entrySet()) {
            sb.append(sep).append(e.getKey()).append(' ').append(String.format(java.util.Locale.ROOT, "%.2f", e.getValue()));
            sep = ", ";
        }
        sb.append(String.format(java.util.Locale.ROOT, "; task start-up %.1f s in all", r.taskStartSeconds()));
        return sb.toString();
    }

    /**
     * The audit of a finished run: {@code checks} compare the written model's frozen parameters with their reference,
     * {@code written} is the written model's flat values, whose frozen shards are fingerprinted here.
     */
    public static Audit audit(DistributedTrainer.Result r, List<FrozenReference.ParamCheck> checks, float[] written, int auditEvery,
                       List<String> freezePatterns) {
        List<FrozenParameter> params = checks.stream().map(c -> new FrozenParameter(c.name(), c.frozenSincePhase(), c.source(), c.elements(),
                c.differingElements(), c.identical() ? "identical" : "differs")).toList();
        Map<Integer, Long> canonical = r.server().frozenFingerprints();
        List<FrozenShard> shards = new ArrayList<>();
        for (Shard s : r.server().layout().frozen()) {
            long fingerprint = Fingerprint.of(written, s.start(), s.length());
            shards.add(new FrozenShard(s.index(), s.paramNames(), s.offset(), s.length(), Fingerprint.hex(fingerprint),
                    canonical.get(s.index()) == fingerprint));
        }
        List<WorkerDeviceRecord> devices = r.workerTimes().stream()
                .map(w -> new WorkerDeviceRecord(w.worker(), w.executor(), w.device().gpuAddress(), w.device().device())).toList();
        return new Audit(FINGERPRINT, auditEvery, checks.stream().allMatch(FrozenReference.ParamCheck::identical), params,
                executors(r.audits()), shards, List.copyOf(freezePatterns), devices);
    }

    private static List<ExecutorChecks> executors(List<CheckedPush> audits) {
        Map<String, List<CheckedPush>> byExecutor = new TreeMap<>();
        for (CheckedPush a : audits) byExecutor.computeIfAbsent(a.executor(), k -> new ArrayList<>()).add(a);
        List<ExecutorChecks> out = new ArrayList<>();
        for (var e : byExecutor.entrySet()) {
            TreeSet<Integer> workers = new TreeSet<>();
            TreeSet<Long> steps = new TreeSet<>();
            long shardChecks = 0;
            for (CheckedPush a : e.getValue()) {
                workers.add(a.worker());
                steps.add(a.step());
                shardChecks += a.shardsChecked();
            }
            out.add(new ExecutorChecks(e.getKey(), List.copyOf(workers), e.getValue().size(), shardChecks, ranges(steps)));
        }
        return out;
    }

    /** Steps as ranges: 1-469, 471, 500-938. */
    public static String ranges(TreeSet<Long> steps) {
        StringBuilder sb = new StringBuilder();
        Long from = null;
        Long last = null;
        for (long s : steps) {
            if (last != null && s == last + 1) {
                last = s;
                continue;
            }
            if (from != null) append(sb, from, last);
            from = s;
            last = s;
        }
        if (from != null) append(sb, from, last);
        return sb.toString();
    }

    private static void append(StringBuilder sb, long from, long to) {
        if (sb.length() > 0) sb.append(", ");
        sb.append(from == to ? Long.toString(from) : from + "-" + to);
    }
}
