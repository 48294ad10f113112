package dev.permafrost.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.permafrost.testing.CommandLine;
import dev.permafrost.testing.FileTrees;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole chain through the command line on small CSV data: pretrain, fine-tune with the pretrained block frozen,
 * verify; then the exit codes and refusals a user meets: a checkpoint of another job, --fresh with a missing model,
 * data of the wrong width.
 */
@Tag("slow")
class JobChainTest {
    private static final int FEATURES = 16;
    static final String SMALL_MODEL_SETTING = "model.layers=[{name=\"pretrained.fc1\", type=dense, out=12, activation=identity},"
            + "{name=\"pretrained.bn\", type=batchnorm, activation=relu},{name=\"head\", type=output, out=3, activation=softmax}]";
    @TempDir
    static Path dir;
    static Path train;
    static Path test;

    @BeforeAll
    static void data() throws IOException {
        train = csv(dir.resolve("train.csv"), 0, 640, FEATURES);
        test = csv(dir.resolve("test.csv"), 640, 192, FEATURES);
    }

    /** Rows whose features encode the label, so the network has something to learn. */
    static Path csv(Path file, int first, int rows, int width) throws IOException {
        return csv(file, first, rows, width, 0);
    }

    /** The same rows with every label moved by {@code shift} (mod 3): a model trained on them learns the task wrong. */
    static Path csv(Path file, int first, int rows, int width, int shift) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (Writer w = Files.newBufferedWriter(file)) {
            StringBuilder header = new StringBuilder("index,label");
            for (int j = 0; j < width; j++) header.append(",f").append(j);
            w.write(header.append('\n').toString());
            for (int r = first; r < first + rows; r++) {
                int label = r % 3;
                StringBuilder row = new StringBuilder().append(r).append(',').append((label + shift) % 3);
                for (int j = 0; j < width; j++) {
                    float v = (j % 3 == label ? 1f : 0f) + ((r * 31 + j * 17) % 11) / 22f;
                    row.append(',').append(String.format(Locale.ROOT, "%.4f", v));
                }
                w.write(row.append('\n').toString());
            }
        }
        return file;
    }

    static List<String> args(String... head) {
        List<String> a = new ArrayList<>(List.of(head));
        a.addAll(List.of("--data", train.toString(), "--test-data", test.toString(), "data.format=csv", "--master", "local[2]",
                "model.inputs=" + FEATURES, SMALL_MODEL_SETTING, "train.batch-per-worker=16", "train.checkpoint-every=10"));
        return a;
    }

    static CommandLine.Run run(List<String> args) {
        return CommandLine.run(args.toArray(String[]::new));
    }

    static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    @Test
    void pretrainFinetuneVerifyAndTheRefusalsOnTheWay() throws IOException {
        Path pre = dir.resolve("pretrain");
        CommandLine.Run p = run(args("pretrain", "--epochs", "2", "--out", pre.toString()));
        assertEquals(0, p.exit(), p.out() + p.err());

        Path ft = dir.resolve("finetune");
        List<String> finetune = args("finetune", "--model", pre.resolve("model.zip").toString(), "--freeze", "pretrained.*", "--epochs", "2");
        List<String> first = new ArrayList<>(finetune);
        first.addAll(List.of("--out", ft.toString()));
        CommandLine.Run f = run(first);
        assertEquals(0, f.exit(), f.out() + f.err());
        assertTrue(f.out().contains("verified " + ft + "/model.zip: 6 frozen parameters"), f.out());

        // audit.json holds what the run computed: per parameter, per executor.
        JsonObject audit = json(ft.resolve("audit.json"));
        assertTrue(audit.get("frozenIdentical").getAsBoolean());
        assertEquals(6, audit.getAsJsonArray("frozenParameters").size());
        long compared = 0;
        for (var e : audit.getAsJsonArray("frozenParameters")) {
            JsonObject o = e.getAsJsonObject();
            assertEquals("identical", o.get("result").getAsString());
            assertEquals(0, o.get("differingElements").getAsLong());
            compared += o.get("elementsCompared").getAsLong();
        }
        assertEquals(16 * 12 + 12 + 4 * 12, compared, "fc1 W and b, bn gamma, beta, mean, log10stdev");
        JsonObject metrics = json(ft.resolve("metrics.json"));
        long steps = metrics.get("steps").getAsLong();
        int checkedPushes = 0;
        for (var e : audit.getAsJsonArray("executors")) checkedPushes += e.getAsJsonObject().get("pushesChecked").getAsInt();
        assertEquals(2 * steps, checkedPushes, "every push of every worker carried every frozen fingerprint");
        // Per epoch: the loss, held-out scores, speed and audit; the per-epoch pushes add up to the audit's.
        var epochs = metrics.getAsJsonArray("perEpoch");
        assertEquals(2, epochs.size());
        long epochPushes = 0;
        for (int i = 0; i < 2; i++) {
            JsonObject e = epochs.get(i).getAsJsonObject();
            assertEquals(i + 1, e.get("epoch").getAsInt());
            assertTrue(e.get("meanLoss").getAsDouble() > 0 && e.get("samplesPerSecond").getAsDouble() > 0, e.toString());
            double accuracy = e.get("testAccuracy").getAsDouble();
            assertTrue(accuracy > 1 / 3.0 && accuracy <= 1, e.toString());
            JsonObject epochAudit = e.getAsJsonObject("audit");
            assertEquals("identical", epochAudit.get("result").getAsString());
            assertEquals(6, epochAudit.get("frozenParameters").getAsInt());
            epochPushes += epochAudit.get("pushesChecked").getAsLong();
        }
        assertEquals(checkedPushes, epochPushes);
        assertEquals(metrics.get("testAccuracy").getAsDouble(), epochs.get(1).getAsJsonObject().get("testAccuracy").getAsDouble(),
                "the last epoch's accuracy is the model's");
        JsonObject stepLoss = metrics.getAsJsonObject("stepLoss");
        assertEquals(1, stepLoss.get("stride").getAsLong(), "a short run keeps every step");
        assertEquals(steps, stepLoss.getAsJsonArray("points").size());
        assertTrue(Files.size(ft.resolve("chart.png")) > 1000 && Files.size(ft.resolve("report.html")) > 1000);
        // Which device each worker used: on local Spark no GPU is assigned, and the CPU backend runs quietly.
        var workers = audit.getAsJsonArray("workers");
        assertEquals(2, workers.size());
        for (var w : workers) {
            assertEquals("cpu", w.getAsJsonObject().get("device").getAsString());
            assertEquals("", w.getAsJsonObject().get("gpuAddress").getAsString());
        }
        assertFalse(f.out().contains("warning:"), f.out());
        for (var e : audit.getAsJsonArray("frozenShards")) assertTrue(e.getAsJsonObject().get("matchesCanonical").getAsBoolean());

        CommandLine.Run v = CommandLine.run("verify", "--before", pre.resolve("model.zip").toString(), "--after", ft.resolve("model.zip").toString(),
                "--freeze", "pretrained.*");
        assertEquals(0, v.exit(), v.out() + v.err());
        assertEquals(6, v.out().lines().filter(l -> l.startsWith("pretrained.") && l.contains("identical")).count(), v.out());

        // Another model's head: verify exits 1 naming what changed.
        CommandLine.Run changed = CommandLine.run("verify", "--before", pre.resolve("model.zip").toString(), "--after",
                ft.resolve("model.zip").toString(), "--freeze", "head.*");
        assertEquals(1, changed.exit(), changed.out());
        assertTrue(changed.out().contains("FAILED: frozen parameters differ: head.W, head.b"), changed.out());

        // A crashed run's checkpoints, rerun with another learning rate: refused with exit 2, naming the field and both values.
        Path crashed = dir.resolve("crashed");
        FileTrees.copy(ft.resolve("checkpoints"), crashed.resolve("checkpoints"));
        List<String> other = new ArrayList<>(finetune);
        other.addAll(List.of("--out", crashed.toString(), "optimizer.lr=0.01"));
        CommandLine.Run refused = run(other);
        assertEquals(2, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("belongs to another job") && refused.err().contains("optimizer: the checkpoint has 'Adam(lr=0.001")
                && refused.err().contains("this job 'Adam(lr=0.01") && refused.err().contains("--fresh"), refused.err());
        List<String> sgd = new ArrayList<>(finetune);
        sgd.addAll(List.of("--out", crashed.toString(), "optimizer.name=sgd"));
        CommandLine.Run toSgd = run(sgd);
        assertEquals(2, toSgd.exit(), toSgd.err());
        assertTrue(toSgd.err().contains("SGD("), toSgd.err());

        // --fresh with a model that does not exist: bad input, and the checkpoints are still there.
        long before = countFiles(crashed.resolve("checkpoints"));
        List<String> fresh = args("finetune", "--model", dir.resolve("no-such-model.zip").toString(), "--freeze", "pretrained.*",
                "--out", crashed.toString(), "--fresh");
        CommandLine.Run missing = run(fresh);
        assertEquals(2, missing.exit(), missing.out() + missing.err());
        assertTrue(missing.err().contains("no-such-model.zip does not exist"), missing.err());
        assertEquals(before, countFiles(crashed.resolve("checkpoints")), "nothing already written is lost");

        // The same job resumes from them and finishes.
        List<String> same = new ArrayList<>(finetune);
        same.addAll(List.of("--out", crashed.toString()));
        CommandLine.Run resumed = run(same);
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resuming from"), resumed.out());
    }

    @Test
    void dataOfAnotherWidthThanTheModelIsBadInputBeforeTraining() throws IOException {
        Path wide = csv(dir.resolve("wide.csv"), 0, 64, FEATURES + 2);
        List<String> a = args("pretrain", "--out", dir.resolve("wide-run").toString());
        a.set(a.indexOf(train.toString()), wide.toString());
        CommandLine.Run r = run(a);
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("has 18 features; the model expects 16"), r.err());
        assertFalse(r.out().contains("epoch 1/"), "no step was taken: " + r.out());
        assertFalse(Files.exists(dir.resolve("wide-run/checkpoints")), "nothing written");
    }

    @Test
    void aNonFiniteLossStopsTheJobWithExitOne() {
        List<String> a = args("pretrain", "--out", dir.resolve("diverged").toString(), "optimizer.lr=1e38", "--epochs", "1");
        CommandLine.Run r = run(a);
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("FAILED") && r.err().contains("non-finite"), r.err());
        assertFalse(Files.exists(dir.resolve("diverged/model.zip")), "no model from a run that failed its checks");
    }

    @Test
    void settingsThatCannotWorkAreBadInput() {
        for (String bad : List.of("train.epochs=0", "train.workers=0", "train.batch-per-worker=0")) {
            List<String> a = args("pretrain", "--out", dir.resolve("never").toString());
            a.add(bad);
            CommandLine.Run r = run(a);
            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().contains(bad.substring(0, bad.indexOf('='))), r.err());
        }
        assertFalse(Files.exists(dir.resolve("never")), "nothing written");
    }

    private static long countFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}
