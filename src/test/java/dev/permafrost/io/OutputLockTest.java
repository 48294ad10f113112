package dev.permafrost.io;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lease on an output folder: one holder at a time, named when refused; a holder that is gone is taken over. */
class OutputLockTest {
    private final HadoopFiles files = new HadoopFiles(new Configuration());

    @Test
    void aSecondRunIsRefusedNamingTheHolderAndTheLockGoesWithTheRun(@TempDir Path dir) {
        String out = dir.resolve("out").toString();
        List<String> said = new ArrayList<>();
        try (OutputLock lock = OutputLock.acquire(files, out, "pretrain", said::add)) {
            assertTrue(Files.exists(dir.resolve("out").resolve(OutputLock.NAME)));
            var e = assertThrows(IllegalArgumentException.class, () -> OutputLock.acquire(files, out, "finetune", said::add));
            assertTrue(e.getMessage().contains("in use by another run: pid " + ProcessHandle.current().pid()) && e.getMessage().contains("pretrain")
                    && e.getMessage().contains("choose another --out"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("out").resolve(OutputLock.NAME)), "released");
        assertTrue(said.isEmpty(), said.toString());
        OutputLock.acquire(files, out, "again", said::add).close();
    }

    @Test
    void aLockWhoseProcessIsGoneIsTakenOverWithAMessage(@TempDir Path dir) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long start = gone.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        Path out = Files.createDirectories(dir.resolve("out"));
        writeLock(out, OutputLock.self("").host(), gone.pid(), start);
        List<String> said = new ArrayList<>();
        OutputLock.acquire(files, out.toString(), "pretrain", said::add).close();
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.get(0).contains("taking over the lock") && said.get(0).contains("process " + gone.pid() + " is gone"), said.get(0));
        // A live pid whose start time differs is another process now.
        writeLock(out, OutputLock.self("").host(), ProcessHandle.current().pid(), 12345L);
        said.clear();
        OutputLock.acquire(files, out.toString(), "pretrain", said::add).close();
        assertTrue(said.get(0).contains("is now another process"), said.toString());
    }

    @Test
    void anotherHostsLockHoldsUntilItsLeaseRunsOut(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Path lock = writeLock(out, "some-other-host.example", 4242, 1L);
        var e = assertThrows(IllegalArgumentException.class, () -> OutputLock.acquire(files, out.toString(), "pretrain", m -> { }));
        assertTrue(e.getMessage().contains("pid 4242 on some-other-host.example"), e.getMessage());
        Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minus(OutputLock.LEASE).minusSeconds(5)));
        List<String> said = new ArrayList<>();
        OutputLock.acquire(files, out.toString(), "pretrain", said::add).close();
        assertTrue(said.get(0).contains("lease was last renewed"), said.toString());
    }

    @Test
    void anOutputThatCannotBeAFolderIsNamedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        var isFile = assertThrows(IllegalArgumentException.class, () -> OutputLock.acquire(files, file.toString(), "pretrain", m -> { }));
        assertTrue(isFile.getMessage().contains("is a file, not a folder"), isFile.getMessage());
        var under = assertThrows(IllegalArgumentException.class,
                () -> OutputLock.acquire(files, file.resolve("sub").toString(), "pretrain", m -> { }));
        assertTrue(under.getMessage().contains("cannot be written") && under.getMessage().contains("a-file"), under.getMessage());
        assertEquals("x", Files.readString(file));
    }

    @Test
    void unicodeNamesAndSpacesWorkAsLocalPathsAndAsUris(@TempDir Path dir) {
        for (String out : List.of(dir.resolve("out é x").toString(), "file://" + dir.resolve("ünï cödé ☃ y"), dir.resolve("日本 語") + "/")) {
            try (OutputLock lock = OutputLock.acquire(files, out, "pretrain", m -> { })) {
                files.write(out, "metrics.json", "{}".getBytes(StandardCharsets.UTF_8));
                assertEquals("{}", new String(files.read(out + "/metrics.json"), StandardCharsets.UTF_8));
                assertTrue(files.list(out).contains(OutputLock.NAME), files.list(out).toString());
            }
        }
        assertTrue(Files.isRegularFile(dir.resolve("out é x").resolve("metrics.json")));
        assertTrue(Files.isRegularFile(dir.resolve("ünï cödé ☃ y").resolve("metrics.json")));
    }

    @Test
    void temporaryFilesOfProcessesThatAreGoneAreRemovedAndOursKept() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path dead = Files.createDirectories(tmp.resolve("permafrost-tmp-" + gone.pid() + "-1"));
        Files.writeString(dead.resolve("ckpt123.zip"), "left by a killed run");
        Path ours = ProcessTemp.file("mine", ".zip");
        List<Path> removed = ProcessTemp.removeLeftovers();
        assertTrue(removed.contains(dead), removed.toString());
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(ours), "this process's own temp files stay");
        Files.delete(ours);
    }

    private static Path writeLock(Path out, String host, long pid, long start) throws Exception {
        String json = "{\"host\":\"" + host + "\",\"pid\":" + pid + ",\"processStartMillis\":" + start
                + ",\"command\":\"pretrain\",\"since\":\"2026-12-01T00:00:00Z\"}";
        return Files.writeString(out.resolve(OutputLock.NAME), json);
    }
}
