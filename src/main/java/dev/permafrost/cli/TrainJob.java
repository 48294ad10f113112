package dev.permafrost.cli;

import dev.permafrost.checkpoint.CheckpointStore;
import dev.permafrost.freeze.Label;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.Json;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Evaluation;
import dev.permafrost.network.Network;
import dev.permafrost.ps.rpc.Tls;
import dev.permafrost.spark.DatasetInput;
import dev.permafrost.spark.SparkEpochRunner;
import dev.permafrost.spark.SparkSessions;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.TrainState;
import dev.permafrost.train.TrainingConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Optional;

/** A distributed training job (pretrain or finetune) from its settings to model.zip, metrics.json and audit.json. */
final class TrainJob {
    enum Kind { PRETRAIN, FINETUNE }

    /** How to begin: resume automatically from a checkpoint when there is one, insist on it, or start over. */
    enum Start {
        AUTO, RESUME, FRESH;

        static Start of(JobOptions o) {
            if (o.resume && o.fresh) throw new IllegalArgumentException("--resume and --fresh contradict each other: pick one");
            return o.resume ? RESUME : o.fresh ? FRESH : AUTO;
        }
    }

    private TrainJob() {
    }

    static int run(JobSettings s, Kind kind, Start start, PrintStream out) throws IOException {
        String outDir = s.required("out", "--out DIR");
        TrainingConfig config = s.training();
        SparkSession spark = SparkSessions.start(master(s), "permafrost " + kind.name().toLowerCase(Locale.ROOT));
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        HadoopFiles files = new HadoopFiles(sc.hadoopConfiguration());
        try {
            boolean finished = files.exists(outDir + "/model.zip") || files.exists(outDir + "/metrics.json");
            if (finished && !s.root().getBoolean("overwrite")) {
                throw new IllegalArgumentException(outDir + " already holds a run (model.zip or metrics.json): choose another --out or pass --overwrite");
            }
            // Overwriting a finished run starts a new one: its checkpoints are not a place to resume from.
            if (finished) start = Start.FRESH;
            CheckpointStore store = new CheckpointStore(files, outDir + "/checkpoints", s.root().getInt("train.keep-checkpoints"));
            Optional<TrainState> resume = resumePoint(store, files, start, out);
            Network network = startingNetwork(s, kind, files, config.seed());
            out.printf(Locale.ROOT, "%s: %,d parameters; %d workers x %d samples per step; %s; Spark %s%n", kind.name().toLowerCase(Locale.ROOT),
                    network.params().totalLength(), config.workers(), config.batchPerWorker(), config.optimizer().describe(), sc.master());

            DatasetInput.Loaded train = DatasetInput.read(spark, dataSpec(s, s.required("data.path", "--data PATH"), network));
            out.printf(Locale.ROOT, "data: %,d rows from %s%s%n", train.count(), s.required("data.path", "--data PATH"),
                    train.dropped() > 0 ? " (" + train.dropped() + " bad rows dropped)" : "");
            long started = System.nanoTime();
            DistributedTrainer.Result result;
            CheckpointLog checkpoints;
            try (SparkEpochRunner runner = new SparkEpochRunner(sc, train.rows(), train.width(), train.classes())) {
                var sparkSettings = new java.util.HashMap<String, String>();
                for (var kv : sc.getConf().getAll()) sparkSettings.put(kv._1(), kv._2());
                CheckpointLog log = new CheckpointLog(store, out);
                result = new DistributedTrainer(config, driverHost(spark), s.root().getInt("train.max-epoch-attempts"),
                        Tls.fromSparkSettings(sparkSettings))
                        .fit(network, train.count(), runner, new ProgressPrinter(out, config.epochs()), resume,
                                new DistributedTrainer.Checkpointing(s.root().getInt("train.checkpoint-every"), log::write));
                checkpoints = log;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            double accuracy = Double.NaN;
            Optional<String> testPath = s.optional("data.test-path");
            if (testPath.isPresent()) {
                DatasetInput.Loaded test = DatasetInput.read(spark, dataSpec(s, testPath.get(), network));
                accuracy = Evaluation.accuracy(result.network(), DatasetInput.collect(test));
                test.rows().unpersist();
            }
            long samples = result.steps() * (long) config.workers() * config.batchPerWorker();
            long frozen = result.server().layout().elements(Label.FROZEN);
            String audit = frozen == 0 ? "nothing frozen"
                    : String.format(Locale.ROOT, "%d frozen-copy audits on executors, all matched", result.audits().size());
            out.printf(Locale.ROOT, "done: %d steps in %.1f s (%,.0f samples/s), %,d bytes pushed per step, %s%s%n",
                    result.steps(), seconds, samples / seconds, result.bytesPushed() / Math.max(1, result.steps()), audit,
                    Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, "; test accuracy %.4f", accuracy));

            saveModel(result.network(), files, outDir);
            RunReport.Metrics metrics = RunReport.metrics(kind.name().toLowerCase(Locale.ROOT), config, result, seconds, samples,
                    Double.isNaN(accuracy) ? null : accuracy, train.count(), train.dropped(), checkpoints,
                    resume.map(TrainState::version).orElse(null));
            files.write(outDir, "metrics.json", json(metrics));
            files.write(outDir, "audit.json", json(RunReport.audit(result, s.root().getStringList("freeze.patterns"))));
            out.println("wrote " + outDir + "/model.zip, metrics.json and audit.json");
            train.rows().unpersist();
            return 0;
        } finally {
            spark.stop();
        }
    }

    /**
     * Where training begins: the newest valid checkpoint unless the run starts fresh (then its checkpoints are discarded);
     * empty to start from the beginning.
     */
    private static Optional<TrainState> resumePoint(CheckpointStore store, HadoopFiles files, Start start, PrintStream out) {
        if (start == Start.FRESH) {
            if (!store.names().isEmpty()) {
                out.println("--fresh: discarding " + store.names().size() + " checkpoints in " + store.dir());
                files.deleteRecursively(store.dir());
            }
            return Optional.empty();
        }
        var found = store.latestValid(msg -> out.println("warning: " + msg));
        if (found.isEmpty() && start == Start.RESUME) {
            throw new IllegalArgumentException("--resume: no valid checkpoint in " + store.dir() + "; run without --resume to start");
        }
        found.ifPresent(f -> out.printf(Locale.ROOT, "resuming from %s/%s: epoch %d, step %d of the epoch (%d steps done)%n", store.dir(),
                f.name(), f.state().epoch() + 1, f.state().stepInEpoch(), f.state().version()));
        return found.map(CheckpointStore.Loaded::state);
    }

    /** The trained network as a plain DL4J model.zip in the output folder, written atomically. */
    private static void saveModel(Network network, HadoopFiles files, String outDir) throws IOException {
        java.nio.file.Path tmp = Files.createTempFile("permafrost-model", ".zip");
        try {
            Dl4jNetworks.save(network, tmp);
            files.copyIn(tmp, outDir, "model.zip");
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes checkpoints and says what each cost. */
    static final class CheckpointLog {
        private final CheckpointStore store;
        private final PrintStream out;
        int count;
        double seconds;
        long lastBytes;

        CheckpointLog(CheckpointStore store, PrintStream out) {
            this.store = store;
            this.out = out;
        }

        void write(TrainState state) {
            CheckpointStore.Written w = store.write(state);
            count++;
            seconds += w.seconds();
            lastBytes = w.bytes();
            out.printf(Locale.ROOT, "checkpoint %s (epoch %d, step %d of the epoch): %.2f MB in %.2f s%n", w.name(), state.epoch() + 1,
                    state.stepInEpoch(), w.bytes() / 1e6, w.seconds());
        }
    }

    static Optional<String> master(JobSettings s) {
        return SparkSessions.masterFor(s.optional("master"));
    }

    private static String driverHost(SparkSession spark) {
        return spark.conf().get("spark.driver.host", "127.0.0.1");
    }

    private static Network startingNetwork(JobSettings s, Kind kind, HadoopFiles files, long seed) {
        if (kind == Kind.PRETRAIN) return Dl4jNetworks.of(s.modelSpec().build(s.root().getLong("model.seed")));
        String path = s.required("model.path", "--model PATH");
        if (!files.exists(path)) throw new IllegalArgumentException("model " + path + " does not exist: pass the model.zip of a pretrain run");
        Network n = Dl4jNetworks.load(files.local(path));
        int classes = s.root().getInt("model.replace-head-classes");
        return classes > 0 ? n.replaceHead(classes, seed) : n;
    }

    private static DatasetInput.Spec dataSpec(JobSettings s, String path, Network network) {
        String badRows = s.root().getString("data.bad-rows");
        if (!badRows.equals("fail") && !badRows.equals("drop")) {
            throw new IllegalArgumentException("data.bad-rows = '" + badRows + "'; choose fail or drop");
        }
        return new DatasetInput.Spec(path, s.root().getString("data.format"), s.root().getString("data.features-column"),
                s.root().getString("data.label-column"), s.root().getString("data.index-column"), network.inputs(), network.outputs(),
                badRows.equals("drop"));
    }

    static byte[] json(Object record) {
        return Json.write(record).getBytes(StandardCharsets.UTF_8);
    }
}
