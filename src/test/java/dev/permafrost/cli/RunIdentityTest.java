package dev.permafrost.cli;

import com.google.gson.JsonObject;
import dev.permafrost.checkpoint.CheckpointStore;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.OutputLock;
import dev.permafrost.testing.CommandLine;
import dev.permafrost.testing.FileTrees;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a rerun resumes, through the command line: only the job that wrote the checkpoint (its data's content and its
 * epochs included), never over damaged checkpoints without --fresh, never into a folder another run holds; what a
 * killed run left behind is removed; a resume with nothing left to do says so. Paths hold Unicode and spaces.
 */
@Tag("slow")
class RunIdentityTest {
    private static final int FEATURES = 16;
    @TempDir
    static Path dir;
    static Path data;
    static Path train;
    static Path test;
    /** A finished two-epoch run: 20 steps an epoch, a checkpoint every 10, the newest three kept. */
    static Path first;

    @BeforeAll
    static void aFinishedRun() throws IOException {
        data = dir.resolve("dáta ü x");
        train = JobChainTest.csv(data.resolve("train.csv"), 0, 640, FEATURES);
        test = JobChainTest.csv(data.resolve("test.csv"), 640, 192, FEATURES);
        first = dir.resolve("ünï cödé run");
        CommandLine.Run r = run(args("--out", first.toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals(3, names(first).size(), names(first).toString());
    }

    static List<String> args(String... more) {
        List<String> a = new ArrayList<>(List.of("pretrain", "--data", train.toString(), "--test-data", "file://" + test, "data.format=csv",
                "--master", "local[2]", "model.inputs=" + FEATURES, JobChainTest.SMALL_MODEL_SETTING, "train.batch-per-worker=16",
                "train.checkpoint-every=10"));
        if (!List.of(more).contains("--epochs")) a.addAll(List.of("--epochs", "2"));
        a.addAll(List.of(more));
        return a;
    }

    static CommandLine.Run run(List<String> args) {
        return CommandLine.run(args.toArray(String[]::new));
    }

    /** A crashed run of the same job: the first run's checkpoints in a new folder. */
    static Path crashedCopy(String name) throws IOException {
        Path out = dir.resolve(name);
        FileTrees.copy(first.resolve("checkpoints"), out.resolve("checkpoints"));
        return out;
    }

    static List<String> names(Path out) {
        return new CheckpointStore(new HadoopFiles(new Configuration()), out.resolve("checkpoints").toString(), 3).names();
    }

    @Test
    void aUriWithUnicodeAndSpacesIsAnOutputLikeAnyOther() throws IOException {
        Path out = dir.resolve("ŭri out ☃");
        CommandLine.Run r = run(args("--out", "file://" + out, "--epochs", "1"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(Files.size(out.resolve("model.zip")) > 0 && Files.exists(out.resolve("report.html")));
        assertTrue(Files.size(first.resolve("model.zip")) > 0);
        assertFalse(Files.exists(out.resolve(OutputLock.NAME)), "the lock goes with the run");
    }

    @Test
    void dataRegeneratedAtTheSamePathIsAnotherJob() throws IOException {
        Path out = crashedCopy("regenerated");
        byte[] original = Files.readAllBytes(train);
        try {
            JobChainTest.csv(train, 0, 640, FEATURES, 1); // the same rows and indices, other labels
            CommandLine.Run r = run(args("--out", out.toString()));
            assertEquals(2, r.exit(), r.out() + r.err());
            assertTrue(r.err().contains("belongs to another job") && r.err().contains("data.content-digest") && r.err().contains("--fresh"), r.err());
            assertFalse(r.err().contains("data.row-index-digest"), "the same rows, numbered the same: " + r.err());
        } finally {
            Files.write(train, original);
        }
    }

    @Test
    void otherEpochsAreAnotherJob() throws IOException {
        Path out = crashedCopy("more-epochs");
        CommandLine.Run r = run(args("--out", out.toString(), "--epochs", "3"));
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("train.epochs: the checkpoint has '2', this job '3'"), r.err());
    }

    @Test
    void everyCheckpointDamagedRefusesToStartOverWithoutFresh() throws IOException {
        Path out = crashedCopy("all-damaged");
        removeCrcs(out);
        for (String n : names(out)) flipAByte(out.resolve("checkpoints").resolve(n).resolve("optimizer.bin"));
        List<String> before = names(out);
        CommandLine.Run r = run(args("--out", out.toString()));
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("every checkpoint in") && r.err().contains("optimizer.bin has SHA-256") && r.err().contains("--fresh"), r.err());
        assertEquals(before, names(out), "nothing deleted");
        assertFalse(Files.exists(out.resolve("model.zip")));
        CommandLine.Run fresh = run(args("--out", out.toString(), "--fresh"));
        assertEquals(0, fresh.exit(), fresh.out() + fresh.err());
        assertTrue(fresh.out().contains("--fresh: discarding 3 checkpoints"), fresh.out());
    }

    @Test
    void retentionRemovesADamagedCheckpointNotTheValidOnes() throws IOException {
        Path out = crashedCopy("one-damaged");
        removeCrcs(out);
        List<String> before = names(out);
        String newest = before.get(before.size() - 1);
        flipAByte(out.resolve("checkpoints").resolve(newest).resolve("model.zip"));
        // Checkpoints at steps 33, 36 and 39 come before the damaged one's step 40 is written again.
        CommandLine.Run r = run(args("--out", out.toString(), "train.keep-checkpoints=1", "train.checkpoint-every=3"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("resuming from") && r.out().contains(before.get(before.size() - 2)), r.out());
        assertTrue(r.out().contains("warning: removed the damaged checkpoint " + out.resolve("checkpoints").resolve(newest)), r.out());
        CheckpointStore store = new CheckpointStore(new HadoopFiles(new Configuration()), out.resolve("checkpoints").toString(), 1);
        List<String> after = store.names();
        assertFalse(after.isEmpty());
        for (String n : after) store.read(n); // every kept checkpoint reads back intact
        assertTrue(after.contains(newest), "the last step's checkpoint, written anew: " + after);
    }

    @Test
    void whatAKilledRunLeftBehindIsRemovedAtTheNextStart() throws IOException {
        Path out = crashedCopy("leftovers");
        Path unfinished = Files.createDirectories(out.resolve("checkpoints").resolve(".tmp-ckpt-000000000035-" + "0f3a"));
        Files.writeString(unfinished.resolve("model.zip"), "half a model");
        Path hidden = Files.writeString(out.resolve(".metrics.json.8c1e.tmp"), "{\"half");
        CommandLine.Run r = run(args("--out", out.toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("leftovers of interrupted runs"), r.out());
        assertFalse(Files.exists(unfinished) || Files.exists(hidden));
    }

    @Test
    void aResumeWithNoStepsLeftSaysSoAndClaimsNoRateNorChart() throws IOException {
        Path out = crashedCopy("nothing-left");
        CommandLine.Run r = run(args("--out", out.toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("done: no steps left to run"), r.out());
        assertFalse(r.out().contains("samples/s"), r.out());
        assertTrue(r.out().contains("report.html and metrics.json (no chart: no epoch ran in this process)"), r.out());
        assertFalse(Files.exists(out.resolve("chart.png")));
        JsonObject metrics = JobChainTest.json(out.resolve("metrics.json"));
        assertEquals(40, metrics.get("steps").getAsLong(), "steps in all");
        assertEquals(0, metrics.get("stepsRun").getAsLong(), "steps this process ran");
        assertFalse(metrics.has("samplesPerSecond") && !metrics.get("samplesPerSecond").isJsonNull(), metrics.toString());
    }

    @Test
    void aFolderAnotherLiveRunHoldsIsRefusedNamingIt() throws IOException {
        Path out = crashedCopy("held");
        ProcessHandle me = ProcessHandle.current();
        String host = java.net.InetAddress.getLocalHost().getHostName();
        Files.writeString(out.resolve(OutputLock.NAME), "{\"host\":\"" + host + "\",\"pid\":" + me.pid() + ",\"processStartMillis\":"
                + me.info().startInstant().map(Instant::toEpochMilli).orElseThrow() + ",\"command\":\"finetune\",\"since\":\"2026-12-03T10:00:00Z\"}");
        List<String> before = names(out);
        CommandLine.Run r = run(args("--out", out.toString(), "optimizer.lr=0.01"));
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("is in use by another run: pid " + me.pid() + " on " + host + " (finetune"), r.err());
        assertFalse(r.out().contains("epoch 1/"), r.out());
        assertEquals(before, names(out));
        assertTrue(Files.exists(out.resolve(OutputLock.NAME)), "another run's lock is not ours to remove");
    }

    private static void flipAByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);
    }

    /** Hadoop's own .crc files out of the way: the project's SHA-256 must be what catches the damage. */
    private static void removeCrcs(Path out) throws IOException {
        try (Stream<Path> crc = Files.walk(out)) {
            for (Path p : crc.filter(p -> p.getFileName().toString().endsWith(".crc")).toList()) Files.delete(p);
        }
    }
}
