package dev.permafrost.job;

import dev.permafrost.report.RunReport;
import dev.permafrost.report.RunPictures;
import dev.permafrost.report.EpochHistory;
import dev.permafrost.report.ProgressPrinter;
import dev.permafrost.train.Listeners;

import dev.permafrost.checkpoint.CheckpointStore;
import dev.permafrost.data.LabeledData;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.Json;
import dev.permafrost.io.OutputLock;
import dev.permafrost.io.ProcessTemp;
import dev.permafrost.io.Sha256;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.ps.rpc.Tls;
import dev.permafrost.spark.DatasetInput;
import dev.permafrost.spark.HeldOutEvaluation;
import dev.permafrost.spark.SparkEpochRunner;
import dev.permafrost.spark.SparkSessions;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.FrozenReference;
import dev.permafrost.train.JobIdentity;
import dev.permafrost.train.TrainState;
import dev.permafrost.train.TrainingConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A distributed training job (pretrain or finetune) from its settings to model.zip, metrics.json and audit.json. */
public final class TrainJob {
    public enum Kind { PRETRAIN, FINETUNE }

    /** How to begin: resume automatically from a checkpoint when there is one, insist on it, or start over. */
    public enum Start {
        AUTO, RESUME, FRESH;

        public static Start of(boolean resume, boolean fresh) {
            if (resume && fresh) throw new IllegalArgumentException("--resume and --fresh contradict each other: pick one");
            return resume ? RESUME : fresh ? FRESH : AUTO;
        }
    }

    private TrainJob() {
    }

    /** The model a job starts from, and the SHA-256 of its file when it was loaded from one. */
    private record StartingModel(Network network, Optional<String> sourceSha256) {
    }

    /** Where a run reads and writes: its output folder, training and held-out data, the model it starts from (finetune). */
    public record Paths(String outDir, String dataPath, Optional<String> testPath, Optional<String> modelPath, int replaceHeadClasses) {
        public Paths {
            if (replaceHeadClasses == 1 || replaceHeadClasses < 0) {
                throw new IllegalArgumentException("model.replace-head-classes = " + replaceHeadClasses + "; give 0 to keep the head or at least 2 classes");
            }
        }

        static Paths of(JobSettings s) {
            return new Paths(s.required("out", "--out DIR"), s.required("data.path", "--data PATH"), s.optional("data.test-path"),
                    s.optional("model.path"), s.root().getInt("model.replace-head-classes"));
        }
    }

    /** How a job trains, checked before Spark starts: the training config, checkpoint cadence, retries, featurize-once. */
    public record Training(TrainingConfig config, int checkpointEvery, int maxTries, boolean featurizeOnce) {
        /** The job's training settings, checked, whether or not its paths are known yet (the retrain job learns them later). */
        public static Training of(JobSettings s) {
            TrainingConfig config = s.training();
            int checkpointEvery = atLeast(s, "train.checkpoint-every", 0);
            int maxTries = atLeast(s, "train.max-epoch-attempts", 1);
            boolean featurizeOnce = s.root().getBoolean("train.featurize-once");
            CheckpointStore.requireKeep(s.root().getInt("train.keep-checkpoints"));
            return new Training(config, checkpointEvery, maxTries, featurizeOnce);
        }

        public RunSettings at(Paths where) {
            return new RunSettings(where, this);
        }
    }

    /** The settings a run checks before Spark starts: its paths and how it trains. */
    public record RunSettings(Paths paths, Training training) {
        public static RunSettings of(JobSettings s) {
            return Training.of(s).at(Paths.of(s));
        }

        public TrainingConfig config() {
            return training.config();
        }

        public int checkpointEvery() {
            return training.checkpointEvery();
        }

        public int maxTries() {
            return training.maxTries();
        }

        public boolean featurizeOnce() {
            return training.featurizeOnce();
        }

        public String outDir() {
            return paths.outDir();
        }

        public String dataPath() {
            return paths.dataPath();
        }
    }

    /** What a finished run wrote and computed, for jobs built on training (retrain). */
    public record Finished(int exitCode, RunReport.Metrics metrics, RunReport.Audit audit, JobIdentity identity, TrainingConfig config,
                    Network network, String dataPath, int rows, long rowIndexDigest) {
    }

    public static int run(JobSettings s, Kind kind, Start start, PrintStream out) throws IOException {
        // Settings first, then the model, the plan and the data: every input is known good before anything already
        // written (checkpoints, an earlier run's outputs) is touched, and before the first step.
        RunSettings plan = RunSettings.of(s);
        SparkSession spark = SparkSessions.start(master(s), "permafrost " + kind.name().toLowerCase(Locale.ROOT));
        try {
            return train(spark, s, plan, kind, start, out).exitCode();
        } finally {
            spark.stop();
        }
    }

    /** One training run on a running Spark: from the plan to model.zip, metrics.json, audit.json, chart.png and report.html. */
    public static Finished train(SparkSession spark, JobSettings s, RunSettings plan, Kind kind, Start start, PrintStream out) throws IOException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        HadoopFiles files = new HadoopFiles(sc.hadoopConfiguration());
        // The lock is also the probe that --out can be written: taken before anything is read or trained.
        try (OutputLock lock = OutputLock.acquire(files, plan.outDir(), kind.name().toLowerCase(Locale.ROOT), out::println)) {
            Leftovers.remove(files, plan.outDir(), out);
            return trainLocked(spark, sc, files, s, plan, kind, start, out);
        }
    }


    private static Finished trainLocked(SparkSession spark, JavaSparkContext sc, HadoopFiles files, JobSettings s, RunSettings plan, Kind kind,
                                        Start start, PrintStream out) throws IOException {
        String outDir = plan.outDir();
        TrainingConfig config = plan.config();
        String dataPath = plan.dataPath();
        int checkpointEvery = plan.checkpointEvery();
        int maxTries = plan.maxTries();
        boolean featurizeOnce = plan.featurizeOnce();
        // metrics.json is written last: it marks a finished run. Outputs without it (a write that failed, a full disk) are
        // an unfinished run's, replaced when the run resumes and ends.
        boolean finished = files.exists(outDir + "/metrics.json");
        if (finished && !s.root().getBoolean("overwrite")) {
            throw new IllegalArgumentException(outDir + " already holds a finished run (metrics.json): choose another --out or pass --overwrite");
        }
        // Overwriting a finished run starts a new one: its checkpoints are not a place to resume from.
        if (finished) start = Start.FRESH;
        StartingModel model = startingModel(s, plan.paths(), kind, files, config.seed());
        Network network = model.network();
        config.schedule().resolve(network.params()); // a plan that does not fit the model fails here, before any data is read
        config.schedule().warnings().forEach(w -> out.println("warning: " + w));
        out.printf(Locale.ROOT, "%s: %,d parameters; %d workers x %d samples per step; %s; Spark %s%n", kind.name().toLowerCase(Locale.ROOT),
                network.params().totalLength(), config.workers(), config.batchPerWorker(), config.optimizer().describe(), sc.master());
        out.println("head: " + network.head().describe());
        // Every path before the first row is read: a typo in the last one must not cost the reading of the first.
        plan.paths().testPath().ifPresent(p -> DatasetInput.requireExists(spark, p, "data.test-path / --test-data"));
        DatasetInput.Loaded train = DatasetInput.read(spark, dataSpec(s, dataPath, network));
        out.printf(Locale.ROOT, "data: %,d rows from %s%s%n", train.count(), dataPath,
                train.dropped() > 0 ? " (" + train.dropped() + " bad rows dropped)" : "");
        Optional<DatasetInput.Loaded> test = plan.paths().testPath().map(path -> DatasetInput.read(spark, dataSpec(s, path, network),
                "data.test-path / --test-data"));
        Optional<LabeledData> testRows = test.map(DatasetInput::collect);
        test.ifPresent(t -> t.rows().unpersist());
        JobIdentity identity = identity(s, plan.paths(), kind, config, train, model.sourceSha256());

        var sparkSettings = new java.util.HashMap<String, String>();
        for (var kv : sc.getConf().getAll()) sparkSettings.put(kv._1(), kv._2());
        Tls tls = Tls.fromSparkSettings(sparkSettings);
        tls.requireUsable();
        long started;
        DistributedTrainer.Result result;
        CheckpointStore store = new CheckpointStore(files, outDir + "/checkpoints", s.root().getInt("train.keep-checkpoints"));
        CheckpointLog checkpoints = new CheckpointLog(store, out);
        Optional<TrainState> resume;
        EpochHistory history = new EpochHistory(spark, testRows, out);
        try (SparkEpochRunner runner = new SparkEpochRunner(sc, train.rows(), train.width(), train.classes(),
                featurizeOnce, out::println)) {
            DistributedTrainer.requireRunnable(train.count(), config.workers(), config.batchPerWorker(), runner);
            // Every input is known good now: only here may --fresh or --overwrite discard checkpoints.
            resume = resumePoint(store, files, start, identity, out);
            started = System.nanoTime();
            result = new DistributedTrainer(config, driverHost(spark), maxTries, tls)
                    .fit(network, train.count(), runner, Listeners.of(new ProgressPrinter(out, config.epochs()), history), resume,
                            new DistributedTrainer.Checkpointing(checkpointEvery, identity, checkpoints::write));
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        // The last epoch's held-out scores are the trained model's; a run resumed after its last epoch has none yet.
        Optional<Double> accuracy = history.finalAccuracy().or(() -> testRows.map(t -> HeldOutEvaluation.of(spark, result.network(), t).accuracy()));
        // After a resume, rates cover the steps this process ran, not those the checkpoint already held.
        long stepsRun = result.steps() - resume.map(TrainState::version).orElse(0L);
        long samples = stepsRun * config.workers() * config.batchPerWorker();
        String scores = accuracy.map(a -> String.format(Locale.ROOT, "; test accuracy %.4f", a)).orElse("");
        if (stepsRun == 0) {
            out.println("done: no steps left to run: the checkpoint resumed from was taken after the last step (" + result.steps()
                    + " steps in all)" + scores);
        } else {
            out.printf(Locale.ROOT, "done: %d steps%s in %.1f s (%,.0f samples/s), %,d bytes pushed per step, %s%s%n",
                    stepsRun, stepsRun == result.steps() ? "" : " (" + result.steps() + " in all)", seconds, samples / seconds,
                    result.bytesPushed() / stepsRun, auditLine(result), scores);
            out.println(RunReport.stepLine(result));
        }
        RunReport.deviceWarning(result).ifPresent(out::println);
        var refused = result.refusals();
        if (refused.connections() + refused.callsRefused() > 0) {
            out.printf(Locale.ROOT, "parameter service: turned away %,d connections (%,d at a cap, %,d displaced, %,d past the %d s "
                            + "authentication deadline) and %,d calls without the job's secret; see metrics.json%n", refused.connections(),
                    refused.connectionsRefused(), refused.connectionsDisplaced(), refused.connectionsExpired(),
                    dev.permafrost.ps.rpc.ParameterGrpcService.Settings.AUTH_DEADLINE.toSeconds(), refused.callsRefused());
        }

        saveModel(result.network(), files, outDir);
        Network written = Dl4jNetworks.load(files.local(outDir + "/model.zip"));
        float[] writtenFlat = written.paramsCopy();
        var checks = result.frozenReference().check(written);
        RunReport.Metrics metrics = RunReport.metrics(kind.name().toLowerCase(Locale.ROOT), config, result, stepsRun, seconds, samples,
                accuracy, train.count(), train.dropped(), checkpoints.costs(), resume.map(TrainState::version), history);
        RunReport.Audit audit = RunReport.audit(result, checks, writtenFlat, config.auditEvery(),
                s.root().getStringList("freeze.patterns"));
        files.write(outDir, "audit.json", json(audit));
        boolean chart = RunPictures.write(files, outDir, kind.name().toLowerCase(Locale.ROOT) + " " + outDir, metrics, audit, s.reportSettings(), config,
                result.network(), List.of());
        files.write(outDir, "metrics.json", json(metrics)); // last: its presence marks the run finished
        out.println("wrote " + outDir + "/model.zip, audit.json, " + (chart ? "chart.png, " : "") + "report.html and metrics.json"
                + (chart ? "" : " (no chart: no epoch ran in this process)"));
        train.rows().unpersist();
        return new Finished(requireFrozenIdentical(checks, outDir, out), metrics, audit, identity, config, result.network(), train.path(),
                train.count(), train.rowIndexDigest());
    }

    /** The line that says what the audit covered, computed from the run. */
    private static String auditLine(DistributedTrainer.Result result) {
        if (result.server().layout().frozen().isEmpty()) return "nothing frozen";
        long shardChecks = result.audits().stream().mapToLong(a -> a.shardsChecked()).sum();
        return String.format(Locale.ROOT, "%,d pushes from executors carried all frozen fingerprints (%,d shard checks), all matched",
                result.audits().size(), shardChecks);
    }

    /** Exit 0 when every frozen parameter of the written model is bit-identical to its reference; else a failed check. */
    private static int requireFrozenIdentical(List<FrozenReference.ParamCheck> checks, String outDir, PrintStream out) {
        long elements = checks.stream().mapToLong(FrozenReference.ParamCheck::elements).sum();
        FrozenReference.requireIdentical(checks, "the frozen parameters of the written " + outDir + "/model.zip (see audit.json)");
        if (!checks.isEmpty()) {
            out.printf(Locale.ROOT, "verified %s/model.zip: %d frozen parameters, %,d elements, bit-identical to the values they were "
                    + "frozen with%n", outDir, checks.size(), elements);
        }
        return 0;
    }

    private static int atLeast(JobSettings s, String key, int min) {
        int value = s.root().getInt(key);
        if (value < min) throw new IllegalArgumentException(key + " = " + value + "; it must be at least " + min);
        return value;
    }

    /** What makes this run the run it is; a checkpoint of another is not resumed. */
    private static JobIdentity identity(JobSettings s, Paths paths, Kind kind, TrainingConfig config, DatasetInput.Loaded train,
                                        Optional<String> sourceSha256) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("model.source-sha256", sourceSha256.orElse("none: built from model.layers"));
        f.put("model.spec", kind == Kind.PRETRAIN ? s.modelSpec().toString()
                : "loaded; replace-head-classes = " + paths.replaceHeadClasses() + "; input-shape = " + s.inputShape());
        f.put("model.seed", Long.toString(s.root().getLong("model.seed")));
        f.put("data.path", train.path());
        f.put("data.rows", Integer.toString(train.count()));
        f.put("data.row-index-digest", String.format("%016x", train.rowIndexDigest()));
        f.put("data.content-digest", String.format("%016x", train.contentDigest()));
        f.put("train.epochs", Integer.toString(config.epochs()));
        f.put("train.workers", Integer.toString(config.workers()));
        f.put("train.batch-per-worker", Integer.toString(config.batchPerWorker()));
        f.put("train.seed", Long.toString(config.seed()));
        f.put("train.shard-max-elements", Integer.toString(config.maxShardLength()));
        f.put("optimizer", config.optimizer().describe());
        f.put("freeze.schedule", TrainState.SchedulePhase.of(config.schedule()).toString());
        return new JobIdentity(f);
    }

    /**
     * Where training begins: the newest valid checkpoint unless the run starts fresh (then its checkpoints are discarded);
     * empty to start from the beginning.
     */
    private static Optional<TrainState> resumePoint(CheckpointStore store, HadoopFiles files, Start start, JobIdentity identity,
                                                   PrintStream out) {
        if (start == Start.FRESH) {
            if (!store.names().isEmpty()) {
                out.println("--fresh: discarding " + store.names().size() + " checkpoints in " + store.dir());
                files.deleteRecursively(store.dir());
            }
            return Optional.empty();
        }
        List<String> damage = new java.util.ArrayList<>();
        var found = store.latestValid(msg -> {
            damage.add(msg);
            out.println("warning: " + msg + "; trying the one before it");
        });
        if (found.isEmpty() && !damage.isEmpty()) {
            throw new IllegalArgumentException("every checkpoint in " + store.dir() + " is damaged: " + String.join("; ", damage)
                    + ". Nothing was resumed or deleted. Pass --fresh to discard them and start over, or restore them from a copy.");
        }
        if (found.isEmpty() && start == Start.RESUME) {
            throw new IllegalArgumentException("--resume: no valid checkpoint in " + store.dir() + "; run without --resume to start");
        }
        if (found.isEmpty()) return Optional.empty();
        CheckpointStore.Loaded f = found.get();
        List<String> differences = identity.differences(f.state().job());
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("the checkpoint " + store.dir() + "/" + f.name() + " belongs to another job; "
                    + String.join("; ", differences) + ". Start over with --fresh (the checkpoints are then discarded), or choose another --out.");
        }
        out.printf(Locale.ROOT, "resuming from %s/%s: epoch %d, step %d of the epoch (%d steps done)%n", store.dir(),
                f.name(), f.state().epoch() + 1, f.state().stepInEpoch(), f.state().version());
        return Optional.of(f.state());
    }

    /** The trained network as a plain DL4J model.zip in the output folder, written atomically. */
    private static void saveModel(Network network, HadoopFiles files, String outDir) throws IOException {
        java.nio.file.Path tmp = dev.permafrost.io.ProcessTemp.file("model", ".zip");
        try {
            Dl4jNetworks.save(network, tmp);
            files.copyIn(tmp, outDir, "model.zip");
        } finally {
            Files.deleteIfExists(tmp);
        }
    }


    public static Optional<String> master(JobSettings s) {
        return SparkSessions.masterFor(s.optional("master"));
    }

    private static String driverHost(SparkSession spark) {
        return spark.conf().get("spark.driver.host", "127.0.0.1");
    }

    private static StartingModel startingModel(JobSettings s, Paths paths, Kind kind, HadoopFiles files, long seed) {
        if (kind == Kind.PRETRAIN) {
            return new StartingModel(Dl4jNetworks.readingRows(Dl4jNetworks.of(s.modelSpec().build(s.root().getLong("model.seed"))), List.of()),
                    Optional.empty());
        }
        String path = paths.modelPath().filter(p -> !p.isBlank())
                .orElseThrow(() -> new IllegalArgumentException("no model.path given: set it in the job file or pass --model PATH"));
        if (!files.exists(path)) throw new IllegalArgumentException("model " + path + " does not exist: pass the model.zip of a pretrain run");
        java.nio.file.Path local = files.local(path);
        Network n;
        try {
            n = Dl4jNetworks.readingRows(Dl4jNetworks.load(local), s.inputShape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model " + path + ": " + e.getMessage(), e);
        }
        String sha;
        try (var in = Files.newInputStream(local)) {
            sha = Sha256.hex(in);
        }  catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + path + ": " + e.getMessage(), e);
        }
        int classes = paths.replaceHeadClasses();
        return new StartingModel(classes > 0 ? n.replaceHead(classes, seed) : n, Optional.of(sha));
    }

    public static DatasetInput.Spec dataSpec(JobSettings s, String path, Network network) {
        String badRows = s.root().getString("data.bad-rows");
        if (!badRows.equals("fail") && !badRows.equals("drop")) {
            throw new IllegalArgumentException("data.bad-rows = '" + badRows + "'; choose fail or drop");
        }
        return new DatasetInput.Spec(path, s.root().getString("data.format"), s.root().getString("data.features-column"),
                s.root().getString("data.label-column"), s.root().getString("data.index-column"), network.inputs(), network.outputs(),
                badRows.equals("drop"));
    }

    public static byte[] json(Object record) {
        return Json.write(record).getBytes(StandardCharsets.UTF_8);
    }
}
