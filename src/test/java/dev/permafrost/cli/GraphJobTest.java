package dev.permafrost.cli;

import com.google.gson.JsonObject;
import dev.permafrost.data.FashionMnist.ClassRange;
import dev.permafrost.data.LabeledData;
import dev.permafrost.network.StoredParams;
import dev.permafrost.testing.CommandLine;
import dev.permafrost.testing.FileTrees;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.testing.RealModels;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A residual ComputationGraph built and saved by plain DL4J (graph builder, {@code init()},
 * {@code ModelSerializer.writeModel}), reading [1, 28, 28] images, fine-tuned through the command line with no
 * conversion step: parameters named {@code <vertex>.<key>}, freeze patterns selecting vertices, a new head, the
 * frozen backbone verified bit for bit, and a run resumed from a checkpoint finishing with the same bits.
 */
@Tag("slow")
class GraphJobTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path train;
    static Path test;

    @BeforeAll
    static void setUp() throws IOException {
        model = dir.resolve("residual.zip");
        ModelSerializer.writeModel(RealModels.residual(10, 31), model.toFile(), false);
        ClassRange classes = ClassRange.parse("5-9");
        train = csv(dir.resolve("train.csv"), Fashion.train(classes).head(640));
        test = csv(dir.resolve("test.csv"), Fashion.test(classes).head(192));
    }

    private static Path csv(Path file, LabeledData data) throws IOException {
        try (Writer w = Files.newBufferedWriter(file)) {
            StringBuilder header = new StringBuilder("index,label");
            for (int j = 0; j < data.width(); j++) header.append(",p").append(j);
            w.write(header.append('\n').toString());
            for (int r = 0; r < data.size(); r++) {
                StringBuilder row = new StringBuilder().append(r).append(',').append(data.labels()[r]);
                for (int j = 0; j < data.width(); j++) row.append(',').append(String.format(Locale.ROOT, "%.6g", data.features()[r * data.width() + j]));
                w.write(row.append('\n').toString());
            }
        }
        return file;
    }

    private static List<String> finetune(Path out) {
        return new ArrayList<>(List.of("finetune", "--model", model.toString(), "--data", train.toString(), "--test-data", test.toString(),
                "data.format=csv", "--master", "local[2]", "--out", out.toString(), "--freeze", "stem.*", "--freeze", "block1.*",
                "model.input-shape=[1,28,28]", "model.replace-head-classes=5", "--epochs", "2", "train.batch-per-worker=16",
                "train.checkpoint-every=7", "train.keep-checkpoints=10"));
    }

    @Test
    void aGraphSavedByPlainDl4jFineTunesWithItsBackboneFrozenAndResumesToTheSameBits() throws IOException {
        CommandLine.Run params = CommandLine.run("params", "--model", model.toString(), "--freeze", "stem.*", "--freeze", "block1.*");
        assertEquals(0, params.exit(), params.err());
        for (String name : List.of("stem.conv.W", "stem.bn.mean", "block1.conv2.W", "block1.bn2.log10stdev", "head.fc.W", "head.out.b")) {
            assertTrue(params.out().contains(name), name + " in\n" + params.out());
        }

        // Without the input shape the image model cannot read flat rows: refused before training, naming the fix.
        List<String> noShape = finetune(dir.resolve("no-shape"));
        noShape.remove("model.input-shape=[1,28,28]");
        CommandLine.Run refused = CommandLine.run(noShape.toArray(String[]::new));
        assertEquals(2, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("set model.input-shape"), refused.err());
        assertTrue(!Files.exists(dir.resolve("no-shape/checkpoints")), "nothing written");

        Path out = dir.resolve("finetune");
        CommandLine.Run run = CommandLine.run(finetune(out).toArray(String[]::new));
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("featurize-once: freeze phase 0: the 11 vertices up to block1.pool frozen"), run.out());
        assertTrue(run.out().contains("verified " + out + "/model.zip: 18 frozen parameters, 1,344 elements"), run.out());
        JsonObject audit = JobChainTest.json(out.resolve("audit.json"));
        assertTrue(audit.get("frozenIdentical").getAsBoolean());

        CommandLine.Run verify = CommandLine.run("verify", "--before", model.toString(), "--after", out.resolve("model.zip").toString(),
                "--freeze", "stem.*", "--freeze", "block1.*");
        assertEquals(0, verify.exit(), verify.out() + verify.err());

        // The written model is a plain DL4J graph: it loads with ModelSerializer and still reads images.
        var loaded = ModelSerializer.restoreComputationGraph(out.resolve("model.zip").toFile(), false);
        assertEquals(5, loaded.outputSingle(false, Fashion.test(ClassRange.parse("5-9")).batch(new int[]{0, 1}, 0, 2).getFeatures()
                .reshape(2, 1, 28, 28)).size(1));

        // A run cut off mid-way: its checkpoints up to step 21 of 40, resumed, end with the uninterrupted run's bits.
        Path cut = dir.resolve("cut");
        Files.createDirectories(cut.resolve("checkpoints"));
        try (Stream<Path> files = Files.list(out.resolve("checkpoints"))) {
            List<Path> kept = files.filter(p -> p.getFileName().toString().compareTo("ckpt-000000000021") <= 0)
                    .sorted(Comparator.naturalOrder()).toList();
            assertTrue(kept.size() >= 2, kept.toString());
            for (Path p : kept) FileTrees.copy(p, cut.resolve("checkpoints").resolve(p.getFileName().toString()));
        }
        CommandLine.Run resumed = CommandLine.run(finetune(cut).toArray(String[]::new));
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resuming from") && resumed.out().contains("(21 steps done)"), resumed.out());
        assertArrayEquals(RawBits.of(StoredParams.load(out.resolve("model.zip")).floats()),
                RawBits.of(StoredParams.load(cut.resolve("model.zip")).floats()));
    }

    @Test
    void theCnnJobFilesPretrainAndFineTuneThroughTheCommandLine() {
        Path pre = dir.resolve("cnn-pretrain");
        List<String> common = List.of("--data", train.toString(), "--test-data", test.toString(), "data.format=csv", "--master", "local[2]",
                "--epochs", "1", "train.batch-per-worker=16");
        List<String> pretrain = new ArrayList<>(List.of("pretrain", "--job", "jobs/cnn-pretrain.conf", "--out", pre.toString()));
        pretrain.addAll(common);
        CommandLine.Run p = CommandLine.run(pretrain.toArray(String[]::new));
        assertEquals(0, p.exit(), p.out() + p.err());

        Path ft = dir.resolve("cnn-finetune");
        List<String> finetune = new ArrayList<>(List.of("finetune", "--job", "jobs/cnn-finetune.conf", "--model", pre.resolve("model.zip").toString(),
                "--out", ft.toString()));
        finetune.addAll(common);
        CommandLine.Run f = CommandLine.run(finetune.toArray(String[]::new));
        assertEquals(0, f.exit(), f.out() + f.err());
        assertTrue(f.out().contains("featurize-once: freeze phase 0: the 6 layers up to backbone.pool2 frozen; training starts at head.fc"), f.out());
        assertTrue(f.out().contains("verified " + ft + "/model.zip: 12 frozen parameters"), f.out());
        CommandLine.Run v = CommandLine.run("verify", "--before", pre.resolve("model.zip").toString(), "--after", ft.resolve("model.zip").toString(),
                "--freeze", "backbone.*");
        assertEquals(0, v.exit(), v.out() + v.err());
    }
}
