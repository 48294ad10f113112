package dev.permafrost.cli;

import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.testing.Launch;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training job whose output folder is on a small filesystem that fills up at each of its writes in turn: the
 * checkpoint, model.zip, audit.json, chart.png, report.html and metrics.json. Each time the JVM ends within a bounded
 * time with exit 4 and a message naming the full disk and the file; after space is freed, rerunning the same command
 * completes with a model bit-identical to an undisturbed run's. The filesystem is a real tmpfs mounted for the test
 * (it takes root, as CI runs); it fills up by its file count (nr_inodes), which makes "full at exactly this write"
 * independent of byte sizes that vary with timings: a file that cannot be created gets ENOSPC, "No space left on
 * device", as on any full disk.
 */
@Tag("slow")
class FullDiskTest {
    private static final String[] OUTPUTS = {"model.zip", "audit.json", "chart.png", "report.html", "metrics.json"};
    @TempDir
    static Path dir;
    static Path train;
    static Path test;
    private Path mount;

    @BeforeAll
    static void data() throws IOException {
        train = JobChainTest.csv(dir.resolve("train.csv"), 0, 640, 16);
        test = JobChainTest.csv(dir.resolve("test.csv"), 640, 192, 16);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) sh("umount", mount.toString());
    }

    static List<String> args(Path out) {
        return new ArrayList<>(List.of("pretrain", "--data", train.toString(), "--test-data", test.toString(), "data.format=csv",
                "--master", "local[2]", "model.inputs=16", JobChainTest.SMALL_MODEL_SETTING, "train.batch-per-worker=16",
                // One checkpoint, at the end of the only epoch: what the folder holds before model.zip is what it held at its peak.
                "train.checkpoint-every=0", "--epochs", "1", "--out", out.toString()));
    }

    @Test
    void aFullDiskAtEachWriteEndsTheJvmNamingItAndARerunAfterFreeingSpaceGivesTheSameBits() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a small filesystem takes root (CI runs as root)");
        // An undisturbed run on a roomy tmpfs: its bits, and how many files each write adds.
        mount = mountTmpfs("reference", 100_000);
        long empty = inodesUsed(mount);
        Path reference = mount.resolve("out");
        Run ok = launch(args(reference), "reference");
        assertEquals(0, ok.exit(), ok.log());
        int[] bits = RawBits.of(Dl4jNetworks.load(reference.resolve("model.zip")).paramsCopy());
        long folderAndLock = 2;
        long checkpoint = count(reference.resolve("checkpoints"));
        List<String> writes = new ArrayList<>(List.of("checkpoint"));
        writes.addAll(List.of(OUTPUTS));
        sh("umount", mount.toString());
        mount = null;

        long before = empty + folderAndLock;
        for (String write : writes) {
            // Room for everything written before this write, and not one file more.
            Path disk = mountTmpfs("full-at-" + write, before + (write.equals("checkpoint") ? 1 : 0));
            mount = disk;
            Path out = disk.resolve("out");
            Run full = launch(args(out), "full-at-" + write);
            assertEquals(4, full.exit(), write + ": " + full.log());
            assertTrue(full.log().contains("the disk is full") && full.log().contains("No space left on device"), write + ": " + full.log());
            String file = write.equals("checkpoint") ? "checkpoints" : write;
            assertTrue(full.log().lines().anyMatch(l -> l.contains("the disk is full") && l.contains(out.toString()) && l.contains(file)),
                    write + ": the message names the file: " + full.log());
            assertFalse(Files.exists(out.resolve("metrics.json")), write + ": no finished run is claimed");
            // Space freed: the same command completes, with the undisturbed run's bits.
            sh("mount", "-o", "remount,nr_inodes=100000", disk.toString());
            Run again = launch(args(out), "rerun-after-" + write);
            assertEquals(0, again.exit(), write + ": " + again.log());
            assertArrayEquals(bits, RawBits.of(Dl4jNetworks.load(out.resolve("model.zip")).paramsCopy()), write);
            assertFalse(Files.exists(out.resolve(dev.permafrost.io.OutputLock.NAME)));
            sh("umount", disk.toString());
            mount = null;
            before += write.equals("checkpoint") ? checkpoint : count(reference, write);
        }
    }

    @Test
    void aReadOnlyOutputIsBadInputBeforeAnyDataIsRead() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a filesystem takes root (CI runs as root)");
        Path m = Files.createDirectories(dir.resolve("mnt-read-only"));
        sh("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", m.toString());
        mount = m;
        var r = dev.permafrost.testing.CommandLine.run(args(m.resolve("out")).toArray(String[]::new));
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("--out " + m.resolve("out") + " cannot be written") && r.err().contains("Read-only file system"), r.err());
        assertFalse(r.out().contains("data:"), "checked before the data is read: " + r.out());
    }

    /** Files and folders under {@code path}, itself included. */
    private static long count(Path path) throws IOException {
        try (Stream<Path> all = Files.walk(path)) {
            return all.count();
        }
    }

    /** An output file and its Hadoop checksum file. */
    private static long count(Path out, String name) {
        return Files.exists(out.resolve("." + name + ".crc")) ? 2 : 1;
    }

    private record Run(int exit, String log) {
    }

    private static Run launch(List<String> args, String name) throws Exception {
        Path log = dir.resolve(name + ".log");
        Process p = Launch.permafrost(args, log);
        boolean ended = p.waitFor(240, TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly().waitFor();
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(ended, name + ": the JVM did not end within 240 s: " + text);
        return new Run(p.exitValue(), text);
    }

    private static Path mountTmpfs(String name, long inodes) throws Exception {
        Path m = Files.createDirectories(dir.resolve("mnt-" + name));
        sh("mount", "-t", "tmpfs", "-o", "size=64m,nr_inodes=" + inodes, "tmpfs", m.toString());
        return m;
    }

    private static long inodesUsed(Path m) throws Exception {
        String[] totalFree = sh("stat", "-f", "-c", "%c %d", m.toString()).strip().split(" ");
        return Long.parseLong(totalFree[0]) - Long.parseLong(totalFree[1]);
    }

    private static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
        return out;
    }
}
