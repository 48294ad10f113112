package dev.permafrost.cli;

import dev.permafrost.job.RetrainJob;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.permafrost.network.Dl4jNetworks;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import dev.permafrost.testing.CommandLine;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * retrain through the command line on two dated partitions: one of more correctly labelled rows (published), one whose
 * labels are shifted (kept out); each re-run changes nothing and exits as the first run did.
 */
@Tag("slow")
class RetrainTest {
    private static final int FEATURES = 16;
    private static final String MODEL = "model.layers=[{name=\"pretrained.fc1\", type=dense, out=12, activation=relu},"
            + "{name=\"head\", type=output, out=3, activation=softmax}]";

    @TempDir
    Path dir;

    private static Path csv(Path file, int first, int rows, int shift) throws IOException {
        return JobChainTest.csv(file, first, rows, FEATURES, shift);
    }

    /** A weak first model: one epoch on a few rows. */
    private Path initialModel() throws IOException {
        Path initial = dir.resolve("initial");
        CommandLine.Run pre = CommandLine.run("pretrain", "--epochs", "1", "--out", initial.toString(), "--data",
                csv(dir.resolve("few.csv"), 0, 96, 0).toString(), "data.format=csv", "data.test-path=null", "--master", "local[2]",
                "model.inputs=" + FEATURES, MODEL, "train.batch-per-worker=8", "optimizer.lr=0.002");
        assertEquals(0, pre.exit(), pre.out() + pre.err());
        return initial;
    }

    @Test
    void twoRunsRacingFromTheSameVersionCannotBothPublish() throws Exception {
        Path initial = initialModel();
        Path holdout = csv(dir.resolve("holdout/part.csv"), 5000, 300, 0);
        Path registry = dir.resolve("models");
        List<Process> runs = new ArrayList<>();
        List<String> partitions = List.of("date=2026-11-22", "date=2026-11-24");
        for (String partition : partitions) {
            csv(dir.resolve("daily/" + partition + "/part.csv"), partition.endsWith("22") ? 1000 : 3000, 960, 0);
            // Long enough (40 epochs) that both runs read the current version before either publishes.
            List<String> a = args(registry, holdout, initial, partition);
            a.add("train.epochs=40");
            runs.add(dev.permafrost.testing.Launch.permafrost(a, dir.resolve(partition + ".log")));
        }
        int[] exits = new int[2];
        for (int i = 0; i < 2; i++) exits[i] = runs.get(i).waitFor();
        String[] logs = {Files.readString(dir.resolve(partitions.get(0) + ".log")), Files.readString(dir.resolve(partitions.get(1) + ".log"))};
        for (String log : logs) assertTrue(log.contains("current version v1"), "both started from v1:\n" + log);
        int winner = exits[0] == RetrainJob.PUBLISHED ? 0 : 1;
        int loser = 1 - winner;
        assertEquals(RetrainJob.PUBLISHED, exits[winner], logs[winner]);
        assertEquals(1, exits[loser], logs[loser]);
        assertTrue(logs[loser].contains("another run published " + registry + "/demo/v2 from v1 first"), logs[loser]);
        assertEquals("v2", Files.readString(registry.resolve("demo/CURRENT")).strip());
        assertEquals(partitions.get(winner), json(registry.resolve("demo/v2/record.json")).get("partition").getAsString());
        assertFalse(Files.exists(registry.resolve("demo/v3")));
        assertFalse(Files.exists(registry.resolve("demo/decisions/" + partitions.get(loser) + ".json")), "the loser decided nothing");
        // Run again, the loser's partition trains on top of the winner's version.
        CommandLine.Run again = retrain(registry, holdout, initial, partitions.get(loser));
        assertTrue(again.out().contains("current version v2"), again.out() + again.err());
        assertTrue(Files.exists(registry.resolve("demo/decisions/" + partitions.get(loser) + ".json")));
    }

    @Test
    void publishesOnHdfs() throws Exception {
        Path initial = initialModel();
        csv(dir.resolve("holdout/part.csv"), 5000, 300, 0);
        csv(dir.resolve("daily/date=2026-11-22/part.csv"), 1000, 960, 0);
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            hdfs.waitActive();
            FileSystem fs = hdfs.getFileSystem();
            String root = hdfs.getURI().toString();
            for (String local : List.of("holdout", "daily")) {
                fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(dir.resolve(local).toUri()), new org.apache.hadoop.fs.Path(root + "/" + local));
            }
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(initial.resolve("model.zip").toUri()), new org.apache.hadoop.fs.Path(root + "/initial.zip"));
            CommandLine.Run run = CommandLine.run("retrain", "--partition", "date=2026-11-22", "--master", "local[2]", "data.format=csv",
                    "retrain.registry=\"" + root + "/models\"", "retrain.name=demo", "retrain.data-root=\"" + root + "/daily\"",
                    "retrain.holdout=\"" + root + "/holdout\"", "retrain.initial-model=\"" + root + "/initial.zip\"",
                    "freeze.patterns=[\"pretrained.*\"]", "train.epochs=2", "train.batch-per-worker=16", "optimizer.lr=0.01");
            assertEquals(RetrainJob.PUBLISHED, run.exit(), run.out() + run.err());
            String current = new String(fs.open(new org.apache.hadoop.fs.Path(root + "/models/demo/CURRENT")).readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8).strip();
            assertEquals("v2", current);
            for (String f : List.of("v1/model.zip", "v1/record.json", "v2/model.zip", "v2/record.json", "v2/report.html",
                    "decisions/date=2026-11-22.json")) {
                assertTrue(fs.exists(new org.apache.hadoop.fs.Path(root + "/models/demo/" + f)), f);
            }
            CommandLine.Run again = CommandLine.run("retrain", "--partition", "date=2026-11-22", "--master", "local[2]", "data.format=csv",
                    "retrain.registry=\"" + root + "/models\"", "retrain.name=demo", "retrain.data-root=\"" + root + "/daily\"",
                    "retrain.holdout=\"" + root + "/holdout\"", "retrain.initial-model=\"" + root + "/initial.zip\"",
                    "freeze.patterns=[\"pretrained.*\"]", "train.epochs=2", "train.batch-per-worker=16", "optimizer.lr=0.01");
            assertEquals(RetrainJob.PUBLISHED, again.exit(), again.out() + again.err());
            assertTrue(again.out().contains("Nothing to do"), again.out());
        } finally {
            hdfs.shutdown();
        }
    }

    @Test
    void publishesAnImprovementKeepsARegressionAndReRunsChangeNothing() throws IOException {
        Path initial = initialModel();
        Path holdout = csv(dir.resolve("holdout/part.csv"), 5000, 300, 0);
        csv(dir.resolve("daily/date=2026-11-22/part.csv"), 1000, 960, 0);
        csv(dir.resolve("daily/date=2026-11-23/part.csv"), 2000, 960, 1);
        Path registry = dir.resolve("models");

        CommandLine.Run good = retrain(registry, holdout, initial, "date=2026-11-22");
        assertEquals(RetrainJob.PUBLISHED, good.exit(), good.out() + good.err());
        assertTrue(good.out().contains("published " + registry + "/demo/v1 from"), good.out());
        assertTrue(good.out().contains("published " + registry + "/demo/v2: "), good.out());
        assertEquals("v2", Files.readString(registry.resolve("demo/CURRENT")).strip());
        JsonObject record = json(registry.resolve("demo/v2/record.json"));
        assertEquals("date=2026-11-22", record.get("partition").getAsString());
        assertEquals(1, record.get("basedOn").getAsInt());
        assertEquals(960, record.get("rows").getAsInt());
        for (String f : List.of("model.zip", "metrics.json", "audit.json", "record.json", "chart.png", "report.html")) {
            assertTrue(Files.exists(registry.resolve("demo/v2/" + f)), f);
        }
        assertFalse(Files.exists(registry.resolve("demo/v2/checkpoints")));
        assertTrue(Files.readString(registry.resolve("demo/v2/report.html")).contains("Published as v2"));
        // Bit for bit: the published version's frozen block is v1's.
        CommandLine.Run verify = CommandLine.run("verify", "--before", registry.resolve("demo/v1/model.zip").toString(), "--after",
                registry.resolve("demo/v2/model.zip").toString(), "--freeze", "pretrained.*");
        assertEquals(0, verify.exit(), verify.out());
        double v1 = json(registry.resolve("demo/v1/record.json")).get("metricValue").getAsDouble();
        double v2 = record.get("metricValue").getAsDouble();
        assertTrue(v2 >= v1 - 0.005, v1 + " -> " + v2);

        Map<String, String> before = tree(registry);
        CommandLine.Run again = retrain(registry, holdout, initial, "date=2026-11-22");
        assertEquals(RetrainJob.PUBLISHED, again.exit(), again.out() + again.err());
        assertTrue(again.out().contains("was already retrained") && again.out().contains("Nothing to do"), again.out());
        assertEquals(before, tree(registry), "a re-run changes nothing");
        // A run that stopped after publishing, before recording its decision: the next run records it from v2's record.
        Path decided = registry.resolve("demo/decisions/date=2026-11-22.json");
        Files.delete(decided);
        CommandLine.Run recovered = retrain(registry, holdout, initial, "date=2026-11-22");
        assertEquals(RetrainJob.PUBLISHED, recovered.exit(), recovered.out() + recovered.err());
        assertTrue(recovered.out().contains("was already retrained") && recovered.out().contains("recorded from"), recovered.out());
        assertEquals(2, json(decided).get("version").getAsInt());
        assertFalse(Files.exists(registry.resolve("demo/v3")), "not trained again");

        CommandLine.Run bad = retrain(registry, holdout, initial, "date=2026-11-23");
        assertEquals(RetrainJob.KEPT, bad.exit(), bad.out() + bad.err());
        assertTrue(bad.out().contains("kept v2: the retrained model's accuracy"), bad.out());
        assertEquals("v2", Files.readString(registry.resolve("demo/CURRENT")).strip());
        assertFalse(Files.exists(registry.resolve("demo/v3")));
        JsonObject decision = json(registry.resolve("demo/decisions/date=2026-11-23.json"));
        assertEquals("kept", decision.get("outcome").getAsString());
        assertTrue(decision.get("candidate").getAsDouble() < decision.get("current").getAsDouble() - 0.005, decision.toString());
        String keptReport = Files.readString(Path.of(decision.get("run").getAsString().replaceFirst("^file:", "")).resolve("report.html"));
        assertTrue(keptReport.contains("Kept v2") && keptReport.contains("Version history"), "the kept run's report");

        Map<String, String> afterKeep = tree(registry);
        CommandLine.Run keptAgain = retrain(registry, holdout, initial, "date=2026-11-23");
        assertEquals(RetrainJob.KEPT, keptAgain.exit(), keptAgain.out() + keptAgain.err());
        assertEquals(afterKeep, tree(registry), "a re-run changes nothing");
        List<String> forAirflow = args(registry, holdout, initial, "date=2026-11-23");
        forAirflow.add("retrain.kept-exit-code=0");
        assertEquals(0, CommandLine.run(forAirflow.toArray(String[]::new)).exit(), "kept exits 0 when asked to");

        // Other settings for a decided partition: refused (exit 2), naming the decision file to remove.
        List<String> changed = args(registry, holdout, initial, "date=2026-11-23");
        changed.add("retrain.tolerance=0.5");
        CommandLine.Run refused = CommandLine.run(changed.toArray(String[]::new));
        assertEquals(2, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("already retrained under other settings") && refused.err().contains("decisions/date=2026-11-23.json"),
                refused.err());
        // A partition with no data: exit 2 before any training.
        CommandLine.Run missing = retrain(registry, holdout, initial, "date=2026-11-24");
        assertEquals(2, missing.exit(), missing.err());
        assertTrue(missing.err().contains("no data for partition date=2026-11-24"), missing.err());
        assertEquals(3, Dl4jNetworks.load(registry.resolve("demo/v2/model.zip")).outputs());
    }

    private static List<String> args(Path registry, Path holdout, Path initial, String partition) {
        return new ArrayList<>(List.of("retrain", "--partition", partition, "--master", "local[2]", "data.format=csv",
                "retrain.registry=" + SettingsOptions.quote(registry.toString()), "retrain.name=demo",
                "retrain.data-root=" + SettingsOptions.quote(registry.getParent().resolve("daily").toString()),
                "retrain.holdout=" + SettingsOptions.quote(holdout.getParent().toString()),
                "retrain.initial-model=" + SettingsOptions.quote(initial.resolve("model.zip").toString()),
                "freeze.patterns=[\"pretrained.*\"]", "train.epochs=2", "train.batch-per-worker=16", "optimizer.lr=0.01"));
    }

    private static CommandLine.Run retrain(Path registry, Path holdout, Path initial, String partition) {
        return CommandLine.run(args(registry, holdout, initial, partition).toArray(String[]::new));
    }

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    /** Every file under {@code root} with its size and modification time. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }
}
