package dev.permafrost.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.testing.CommandLine.Run;
import dev.permafrost.testing.GoldenFiles;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.permafrost.testing.CommandLine.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands as users run them: output, exit codes, files written. */
class CliTest {

    @Test
    void paramsPrintsATableWithLabels() {
        Run r = run("params", "--freeze", "pretrained.*", "--keep-trainable", "pretrained.bn.*");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("pretrained.fc1.W") && l.contains("784x256") && l.endsWith("frozen")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("pretrained.bn.mean") && l.contains("norm-statistic") && l.endsWith("trainable")), r.out());
        assertTrue(r.out().contains("10 parameters, 236170 elements"), r.out());
    }

    @Test
    void paramsJsonForToolsReadsASavedModel(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.zip");
        Dl4jNetworks.save(Dl4jNetworks.of(dev.permafrost.model.FashionMlp.build(5, 1)), model);
        Run r = run("params", "--model", model.toString(), "--freeze", "re:^pretrained\\.fc", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(10, json.getAsJsonArray("params").size());
        JsonObject head = json.getAsJsonArray("params").get(8).getAsJsonObject();
        assertEquals("head.W", head.get("name").getAsString());
        assertEquals(5, head.getAsJsonArray("shape").get(1).getAsInt());
        assertEquals("trainable", head.get("label").getAsString());
        assertEquals(200704 + 256 + 32768 + 128, json.get("frozenElements").getAsLong());
    }

    @Test
    void badInputExitsTwoWithTheFix(@TempDir Path dir) throws Exception {
        Run typo = run("params", "--freeze", "pretrianed.*");
        assertEquals(2, typo.exit());
        assertTrue(typo.err().contains("'pretrianed.*' matches no parameter") && typo.err().contains("pretrained."), typo.err());
        Path notAModel = Files.writeString(dir.resolve("x.zip"), "not a zip");
        Run bad = run("params", "--model", notAModel.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("is not a DL4J model"), bad.err());
        Run missing = run("params", "--model", dir.resolve("nope.zip").toString());
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }

    @Test
    void optimReplayReportsParityAndMismatch() {
        String golden = GoldenFiles.golden("adam_golden.json").toString();
        Run ok = run("optim-replay", "--golden", golden);
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(ok.out().contains("64 passed, 0 failed"), ok.out());
        Run noFma = run("optim-replay", "--golden", GoldenFiles.golden("adam_golden_nofma.json").toString(), "--no-fma");
        assertEquals(0, noFma.exit());
        Run crossed = run("optim-replay", "--golden", golden, "--no-fma");
        assertEquals(1, crossed.exit());
        assertTrue(crossed.out().contains("MISMATCH") && crossed.out().contains("ulp apart"), crossed.out());
        Run missing = run("optim-replay", "--golden", "/nonexistent.json");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("not found"), missing.err());
    }

    @Test
    @Tag("slow")
    void demoTrainsFreezesVerifiesAndWritesItsOutputs(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("demo");
        Run r = run("freeze-demo", "--rows", "3000", "--epochs", "2", "--freeze-from", "1", "--out", out.toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.out().contains("transition: 3 shards frozen"), r.out());
        // The frozen claim, on what the run computed: comparisons made after every step of the frozen epoch.
        assertTrue(r.out().lines().anyMatch(l -> l.matches("epoch 2/2 {2}step \\d+/\\d+ {2}loss .*samples/s {2}ETA .*")), r.out());
        JsonObject metrics = JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
        assertTrue(metrics.get("testAccuracy").getAsDouble() > 0.5, metrics.toString());
        assertEquals(8, metrics.getAsJsonArray("frozenParameters").size());
        long steps = metrics.get("steps").getAsLong();
        long comparisons = metrics.get("frozenElementComparisons").getAsLong();
        assertTrue(comparisons >= (steps / 2) * 234_880L, "every frozen element compared after every step of epoch 2: " + comparisons);
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "%,d element comparisons on raw bits", comparisons)), r.out());
        assertTrue(metrics.get("frozenShardAudits").getAsLong() > steps / 2, metrics.toString());
        assertTrue(r.out().contains("model.zip: 8 frozen parameters, 234,880 elements, bit-identical"), r.out());
        assertEquals(236170, Dl4jNetworks.load(out.resolve("model.zip")).params().totalLength());
        Run again = run("freeze-demo", "--rows", "3000", "--epochs", "1", "--out", out.toString());
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("--overwrite"), again.err());
    }

    @Test
    @Tag("slow")
    void aTrainingJobRefusesAnOutputFolderHoldingAnotherRun(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("metrics.json"), "{}");
        Run r = run("pretrain", "--job", "jobs/pretrain.conf", "--out", dir.toString(), "--master", "local[1]");
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("already holds a finished run") && r.err().contains("--overwrite"), r.err());
        assertEquals("{}", Files.readString(dir.resolve("metrics.json")), "nothing already written is touched");
        Run typo = run("pretrain", "--job", "jobs/pretrain.conf", "train.epoch=3");
        assertEquals(2, typo.exit());
        assertTrue(typo.err().contains("permafrost.train.epochs"), typo.err());
    }

    @Test
    void everyCommandExitsTwoOnBadInputAndOneOnAFailedCheck(@TempDir Path dir) throws Exception {
        assertEquals(2, run("params", "--freeze", "nothing.matches.*").exit());
        assertEquals(2, run("params", "--model", dir.resolve("missing.zip").toString()).exit());
        assertEquals(2, run("verify", "--before", dir.resolve("a.zip").toString(), "--after", dir.resolve("b.zip").toString()).exit());
        assertEquals(2, run("optim-replay", "--golden", dir.resolve("none.json").toString()).exit());
        assertEquals(1, run("optim-replay", "--golden", GoldenFiles.golden("adam_golden.json").toString(), "--no-fma").exit());
        assertEquals(2, run("import-fashion-mnist", "--classes", "0-4").exit(), "no --out");
        assertEquals(2, run("import-fashion-mnist", "--out", dir.toString(), "--classes", "3-12").exit());
        assertEquals(2, run("freeze-demo", "--idx", dir.toString(), "--out", dir.resolve("demo").toString()).exit(), "no IDX files there");
        assertEquals(2, run("pretrain", "--job", dir.resolve("none.conf").toString()).exit());
        assertEquals(2, run("finetune", "--job", "jobs/finetune.conf", "--resume", "--fresh").exit());
        assertEquals(1, run("cluster", "status", "--dir", dir.toString()).exit(), "no cluster there: status says so with exit 1");
        assertEquals(2, run("cluster", "start", "--workers", "0", "--dir", dir.resolve("c").toString()).exit());
    }

    @Test
    void aDirectoryWhereAFileBelongsAndAnOversizedLayerIndexAreNamedAsSuch(@TempDir Path dir) throws Exception {
        Run job = run("pretrain", "--job", dir.toString());
        assertEquals(2, job.exit());
        assertTrue(job.err().contains("is a directory; give the job file itself"), job.err());
        Run model = run("params", "--model", dir.toString());
        assertEquals(2, model.exit());
        assertTrue(model.err().contains("is a directory"), model.err());
        Run range = run("params", "--freeze", "layers:0-99999999999");
        assertEquals(2, range.exit());
        assertTrue(range.err().contains("a layer index must be at most"), range.err());
    }

    @Test
    void verifyAllHoldsEveryParameterToIdenticalBits(@TempDir Path dir) throws Exception {
        var net = dev.permafrost.model.FashionMlp.build(10, 5);
        org.deeplearning4j.util.ModelSerializer.writeModel(net, dir.resolve("a.zip").toFile(), false);
        org.deeplearning4j.util.ModelSerializer.writeModel(net, dir.resolve("same.zip").toFile(), false);
        net.getLayer(3).getParam("b").putScalar(0, 0.5f);
        org.deeplearning4j.util.ModelSerializer.writeModel(net, dir.resolve("b.zip").toFile(), false);
        Run same = run("verify", "--before", dir.resolve("a.zip").toString(), "--after", dir.resolve("same.zip").toString(), "--all");
        assertEquals(0, same.exit(), same.out() + same.err());
        assertTrue(same.out().contains("OK: every parameter (10) is bit-identical"), same.out());
        Run differs = run("verify", "--before", dir.resolve("a.zip").toString(), "--after", dir.resolve("b.zip").toString(), "--all");
        assertEquals(1, differs.exit());
        assertTrue(differs.out().contains("FAILED: parameters differ: head.b"), differs.out());
    }
}
