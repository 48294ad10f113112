package dev.permafrost.job;

import dev.permafrost.report.RunPictures;
import dev.permafrost.report.EpochHistory;
import dev.permafrost.report.RetrainReport;
import dev.permafrost.network.ModelDiff;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.Json;
import dev.permafrost.io.Sha256;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.network.StoredParams;
import dev.permafrost.registry.ModelRegistry;
import dev.permafrost.registry.RetrainDecision;
import dev.permafrost.shard.CheckFailedException;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.spark.DatasetInput;
import dev.permafrost.spark.HeldOutEvaluation;
import dev.permafrost.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The scheduled retraining job: the published model fine-tuned on one partition, scored on the held-out set against
 * the current version, checked bit for bit on its frozen parameters, and published as the next version or kept out.
 * Re-running a partition that was decided reports that decision and changes nothing.
 */
public final class RetrainJob {
    public static final int PUBLISHED = 0;
    /** The default exit code when the current version is kept (retrain.kept-exit-code). */
    public static final int KEPT = 3;
    private static final Pattern PARTITION = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9._+-]+");

    private RetrainJob() {
    }

    /** The retrain settings, checked before Spark starts. */
    private record Settings(String registry, String name, String partition, String dataPath, String holdout, String metric, double tolerance,
                            Optional<String> initialModel, int keptExitCode) {
        public static Settings of(JobSettings s) {
            for (String key : List.of("out", "data.path", "data.test-path", "model.path")) {
                if (s.optional(key).isPresent()) {
                    throw new IllegalArgumentException(key + " is set, but retrain decides it (the run folder in the registry, the partition's "
                            + "data, retrain.holdout, the current version's model): drop it (and --out/--data/--test-data/--model)");
                }
            }
            String partition = s.required("retrain.partition", "--partition KEY=VALUE");
            if (!PARTITION.matcher(partition).matches()) {
                throw new IllegalArgumentException("retrain.partition = '" + partition + "'; give one folder name KEY=VALUE, e.g. date=2026-11-23");
            }
            if (partition.startsWith("date=")) {
                try {
                    LocalDate.parse(partition.substring(5));
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("retrain.partition = '" + partition + "': the date is not a calendar date YYYY-MM-DD");
                }
            }
            String metric = s.root().getString("retrain.metric");
            if (!metric.equals("accuracy") && !metric.equals("f1")) {
                throw new IllegalArgumentException("retrain.metric = '" + metric + "'; choose accuracy or f1");
            }
            double tolerance = s.root().getDouble("retrain.tolerance");
            RetrainDecision.decide(metric, 0, 0, tolerance); // refuses a negative or non-finite tolerance now, not after training
            String dataRoot = s.required("retrain.data-root", "retrain.data-root");
            int kept = s.root().getInt("retrain.kept-exit-code");
            if (kept != 0 && (kept < 3 || kept > 125)) {
                throw new IllegalArgumentException("retrain.kept-exit-code = " + kept + "; give 0, or 3 to 125 (1 and 2 mean failed)");
            }
            return new Settings(s.required("retrain.registry", "retrain.registry"), s.required("retrain.name", "retrain.name"), partition,
                    dataRoot.replaceAll("/+$", "") + "/" + partition, s.required("retrain.holdout", "retrain.holdout"), metric, tolerance,
                    s.optional("retrain.initial-model"), kept);
        }
    }

    public static int run(JobSettings s, PrintStream out) throws IOException {
        Settings r = Settings.of(s);
        TrainJob.Training training = TrainJob.Training.of(s); // the training settings, checked now; the paths come later
        String digest = settingsDigest(s);
        SparkSession spark = SparkSessions.start(TrainJob.master(s), "permafrost retrain " + r.partition());
        try {
            HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
            ModelRegistry registry = new ModelRegistry(files, r.registry(), r.name());
            Optional<ModelRegistry.Decision> done = registry.decision(r.partition());
            if (done.isPresent()) return already(done.get(), digest, registry, out, r);
            Optional<ModelRegistry.Decision> recovered = publishedWithoutDecision(registry, r, digest, out);
            if (recovered.isPresent()) return already(recovered.get(), digest, registry, out, r);
            if (!files.exists(r.dataPath())) {
                throw new IllegalArgumentException("no data for partition " + r.partition() + ": " + r.dataPath() + " does not exist");
            }
            if (!files.exists(r.holdout())) throw new IllegalArgumentException("retrain.holdout " + r.holdout() + " does not exist");
            Scored scored = currentOrInitial(spark, s, r, registry, files, out);
            ModelRegistry.Version current = scored.version();
            double currentScore = scored.score();
            out.printf(Locale.ROOT, "retrain %s: current version %s (%s %.4f on %s); training on %s%n", registry.dir(), current.name(),
                    r.metric(), currentScore, r.holdout(), r.dataPath());

            String runDir = registry.runDir(r.partition());
            // The current version, fine-tuned with its head kept, on the partition, scored on the held-out set as it goes.
            TrainJob.RunSettings fineTune = training.at(new TrainJob.Paths(runDir, r.dataPath(), Optional.of(r.holdout()), Optional.of(current.model()), 0));
            TrainJob.Finished f = TrainJob.train(spark, s, fineTune, TrainJob.Kind.FINETUNE, TrainJob.Start.FRESH, out);
            files.deleteRecursively(runDir + "/checkpoints"); // a finished run's resume points: not part of a version
            EpochHistory.Epoch last = f.metrics().perEpoch().get(f.metrics().perEpoch().size() - 1);
            double candidate = (r.metric().equals("accuracy") ? last.testAccuracy() : last.testWeightedF1()).orElseThrow(() ->
                    new IllegalStateException("the retrain run scored no held-out set: " + r.holdout()));
            RetrainDecision decision = RetrainDecision.decide(r.metric(), currentScore, candidate, r.tolerance());

            String verification = "not run: the model is not published";
            if (decision.outcome() == RetrainDecision.Outcome.PUBLISH) verification = verifyFrozen(files, current, runDir, f);
            int next = current.number() + 1;
            List<ModelRegistry.VersionRecord> history = new ArrayList<>(registry.history(current));
            ModelRegistry.VersionRecord record = new ModelRegistry.VersionRecord(next, current.number(), r.partition(), f.dataPath(), f.rows(),
                    String.format("%016x", f.rowIndexDigest()), r.metric(), candidate, Instant.now().toString(), f.identity().fields());
            if (decision.outcome() == RetrainDecision.Outcome.PUBLISH) history.add(record);
            RunPictures.write(files, runDir, "retrain " + r.name() + " on " + r.partition(), f.metrics(), f.audit(), s.reportSettings(), f.config(), f.network(),
                    List.of(RetrainReport.decision(decision, current, next, verification), RetrainReport.history(history)));

            Run run = new Run(registry, r, digest, current, currentScore, candidate, runDir, decision);
            return decision.outcome() == RetrainDecision.Outcome.KEEP ? keep(run, out) : publish(run, record, verification, files, out);
        } finally {
            spark.stop();
        }
    }

    /** What one run trained and decided, for recording it. */
    private record Run(ModelRegistry registry, Settings settings, String digest, ModelRegistry.Version current, double currentScore,
                       double candidate, String runDir, RetrainDecision decision) {
        ModelRegistry.Decision recorded(String outcome, int version, String where) {
            return new ModelRegistry.Decision(settings.partition(), outcome, version, decision.reason(), settings.metric(), currentScore, candidate,
                    where, digest, Instant.now().toString());
        }
    }

    /** The current version stays; the run's folder (model, report with the decision) stays under runs/. */
    private static int keep(Run run, PrintStream out) {
        out.println("kept " + run.current().name() + ": " + run.decision().reason() + " (this run's model and report: " + run.runDir() + ")");
        if (!run.registry().recordDecision(run.recorded("kept", run.current().number(), run.runDir()))) {
            return already(run.registry().decision(run.settings().partition()).orElseThrow(), run.digest(), run.registry(), out, run.settings());
        }
        return run.settings().keptExitCode();
    }

    /** Moves the run's folder to the next version if no other run took it first, then records the decision. */
    private static int publish(Run run, ModelRegistry.VersionRecord record, String verification, HadoopFiles files, PrintStream out) {
        ModelRegistry registry = run.registry();
        String partition = run.settings().partition();
        int next = record.version();
        files.write(run.runDir(), "record.json", Json.write(record).getBytes(StandardCharsets.UTF_8));
        if (!registry.publish(run.runDir(), next)) {
            Optional<ModelRegistry.Decision> raced = registry.decision(partition);
            if (raced.isPresent()) return already(raced.get(), run.digest(), registry, out, run.settings());
            throw new CheckFailedException("another run published " + registry.dir() + "/v" + next + " from " + run.current().name()
                    + " first, so this run's model was not published (it stays in " + run.runDir() + "). Run again to retrain on top of v" + next);
        }
        String published = registry.dir() + "/v" + next;
        if (!registry.recordDecision(run.recorded("published", next, published))) {
            out.println("note: a concurrent run on " + partition + " recorded its decision first ("
                    + registry.decision(partition).map(ModelRegistry.Decision::outcome).orElse("?") + "); " + published + " stays published");
        }
        out.println("published " + published + ": " + run.decision().reason() + "; " + verification);
        return PUBLISHED;
    }

    /** A partition decided before: says so and exits as it did, unless the settings have changed since. */
    private static int already(ModelRegistry.Decision d, String digest, ModelRegistry registry, PrintStream out, Settings r) {
        if (!d.settingsDigest().equals(digest)) {
            throw new IllegalArgumentException("partition " + d.partition() + " was already retrained under other settings (" + d.outcome()
                    + ", " + d.decidedAt() + "). To retrain it with these, remove " + registry.dir() + "/decisions/" + d.partition() + ".json");
        }
        out.printf(Locale.ROOT, "partition %s was already retrained at %s: %s v%d (%s). Nothing to do.%n", d.partition(), d.decidedAt(), d.outcome(),
                d.version(), d.reason());
        return d.outcome().equals("published") ? PUBLISHED : r.keptExitCode();
    }

    /**
     * A version published from this partition whose decision was never recorded (the run stopped after its publish):
     * the decision is written from the version's record, so the partition is not trained again.
     */
    private static Optional<ModelRegistry.Decision> publishedWithoutDecision(ModelRegistry registry, Settings r, String digest, PrintStream out) {
        Optional<ModelRegistry.Version> current = registry.current(out::println);
        if (current.isEmpty()) return Optional.empty();
        List<ModelRegistry.VersionRecord> history = registry.history(current.get());
        for (ModelRegistry.VersionRecord v : history) {
            if (!v.partition().equals(r.partition())) continue;
            double base = v.basedOn() > 0 ? history.get(v.basedOn() - 1).metricValue() : v.metricValue();
            ModelRegistry.Decision d = new ModelRegistry.Decision(r.partition(), "published", v.version(), "recorded from " + registry.dir() + "/v"
                    + v.version() + "/record.json: the run that published it stopped before recording its decision", v.metric(), base,
                    v.metricValue(), registry.dir() + "/v" + v.version(), digest, v.publishedAt());
            registry.recordDecision(d);
            return registry.decision(r.partition());
        }
        return Optional.empty();
    }

    /** A published version and its score on the held-out set. */
    private record Scored(ModelRegistry.Version version, double score) {
    }

    /**
     * The current version and its score; with none yet, retrain.initial-model scored and published as v1 first (its
     * score is then v1's, unless a concurrent run published another v1).
     */
    private static Scored currentOrInitial(SparkSession spark, JobSettings s, Settings r, ModelRegistry registry, HadoopFiles files,
                                           PrintStream out) throws IOException {
        Optional<ModelRegistry.Version> current = registry.current(out::println);
        if (current.isPresent()) return new Scored(current.get(), score(spark, s, r, current.get().model(), files));
        String initial = r.initialModel().orElseThrow(() -> new IllegalArgumentException("nothing is published under " + registry.dir()
                + ": set retrain.initial-model to a model.zip to publish it as v1 first"));
        if (!files.exists(initial)) throw new IllegalArgumentException("retrain.initial-model " + initial + " does not exist");
        java.nio.file.Path local = files.local(initial);
        double score = score(spark, s, r, local.toUri().toString(), files);
        String runDir = registry.runDir("initial");
        files.copyIn(local, runDir, "model.zip");
        String sha;
        try (var in = java.nio.file.Files.newInputStream(local)) {
            sha = Sha256.hex(in);
        }
        Map<String, String> job = new TreeMap<>(Map.of("model.source", initial, "model.source-sha256", sha));
        files.write(runDir, "record.json", Json.write(new ModelRegistry.VersionRecord(1, 0, "initial", initial, 0, "", r.metric(), score,
                Instant.now().toString(), job)).getBytes(StandardCharsets.UTF_8));
        boolean ours = registry.publish(runDir, 1);
        if (ours) out.printf(Locale.ROOT, "published %s/v1 from %s (%s %.4f on the held-out set)%n", registry.dir(), initial, r.metric(), score);
        ModelRegistry.Version v1 = registry.current(out::println).orElseThrow();
        return new Scored(v1, ours && v1.number() == 1 ? score : score(spark, s, r, v1.model(), files));
    }

    /** The model's metric on the held-out set, by MLlib's evaluator. */
    private static double score(SparkSession spark, JobSettings s, Settings r, String model, HadoopFiles files) {
        Network network = Dl4jNetworks.readingRows(Dl4jNetworks.load(files.local(model)), s.inputShape());
        DatasetInput.Loaded holdout = DatasetInput.read(spark, TrainJob.dataSpec(s, r.holdout(), network), "retrain.holdout");
        LabeledData rows = DatasetInput.collect(holdout);
        holdout.rows().unpersist();
        HeldOutEvaluation.Scores scores = HeldOutEvaluation.of(spark, network, rows);
        return r.metric().equals("accuracy") ? scores.accuracy() : scores.weightedF1();
    }

    /**
     * The retrained model's frozen parameters against the current version's, bit for bit (the check {@code verify}
     * makes); a difference refuses the publish.
     */
    private static String verifyFrozen(HadoopFiles files, ModelRegistry.Version current, String runDir, TrainJob.Finished f) {
        StoredParams before = StoredParams.load(files.local(current.model()));
        StoredParams after = StoredParams.load(files.local(runDir + "/model.zip"));
        // Only what stayed frozen in every epoch must equal the previous version: a schedule may train a layer in its
        // first epochs and freeze it later (freeze.from-epoch, gradual unfreezing).
        var resolved = f.config().schedule().resolve(after.table());
        List<Label> throughout = new ArrayList<>();
        for (int i = 0; i < after.table().size(); i++) {
            boolean frozen = true;
            for (int e = 0; e < f.config().epochs() && frozen; e++) frozen = FreezeSchedule.labelsAt(resolved, e).isFrozen(i);
            throughout.add(frozen ? Label.FROZEN : Label.TRAINABLE);
        }
        var labels = new ParamLabels(after.table(), throughout);
        ModelDiff diff = ModelDiff.of(before, current.model(), after, runDir + "/model.zip", labels);
        if (!diff.frozenChanged().isEmpty()) {
            throw new FrozenCopyMismatchException("refusing to publish: frozen parameters of " + runDir + "/model.zip differ from "
                    + current.model() + ": " + String.join(", ", diff.frozenChanged()));
        }
        return diff.frozenCount() == 0 ? "nothing stayed frozen for the whole run, so nothing to verify"
                : "verified: its " + diff.frozenCount() + " frozen parameters are bit-identical to " + current.name() + "'s";
    }

    /** What makes two runs on a partition the same job: every setting except where it writes and runs. */
    public static String settingsDigest(JobSettings s) {
        Map<String, String> all = s.reportSettings().all();
        for (String key : List.of("out", "master", "overwrite", "retrain.partition", "retrain.initial-model", "retrain.kept-exit-code")) all.remove(key);
        return Sha256.hex(Json.write(all).getBytes(StandardCharsets.UTF_8));
    }
}
