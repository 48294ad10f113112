package dev.permafrost.cli;

import dev.permafrost.io.OutputLock;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.testing.CommandLine;
import dev.permafrost.testing.Launch;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM (what a scheduler sends; SIGINT takes the same path) in the middle of a run, in a JVM of its own: the JVM
 * ends within a bounded time with 143 and says what a rerun does, the output lock is released, and the rerun resumes
 * to the bits of an undisturbed run.
 */
@Tag("slow")
class SignalTest {
    @TempDir
    static Path dir;

    @Test
    void sigtermEndsTheJvmReleasingTheLockAndTheRerunResumesToTheSameBits() throws Exception {
        Path train = JobChainTest.csv(dir.resolve("train.csv"), 0, 2560, 16);
        Path test = JobChainTest.csv(dir.resolve("test.csv"), 2560, 192, 16);
        Path reference = dir.resolve("reference");
        CommandLine.Run ok = CommandLine.run(args(train, test, reference).toArray(String[]::new));
        assertEquals(0, ok.exit(), ok.out() + ok.err());

        Path out = dir.resolve("stopped");
        Path log = dir.resolve("stopped.log");
        Process p = Launch.permafrost(args(train, test, out), log);
        long waited = System.nanoTime();
        while (!Files.readString(log, StandardCharsets.UTF_8).contains("checkpoint ckpt-000000000030")) {
            assertTrue(p.isAlive(), Files.readString(log, StandardCharsets.UTF_8));
            assertTrue(System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(240), "no checkpoint within 240 s");
            Thread.sleep(20);
        }
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM ended within 60 s of SIGTERM");
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(143, p.exitValue(), text);
        assertTrue(text.contains("stopped by a signal (SIGINT or SIGTERM)") && text.contains("resumes from the last"), text);
        assertFalse(text.contains("resubmitting"), "a stop is not a lost executor: " + text);
        assertFalse(Files.exists(out.resolve(OutputLock.NAME)), "the lock is released");
        assertFalse(Files.exists(out.resolve("metrics.json")));

        CommandLine.Run resumed = CommandLine.run(args(train, test, out).toArray(String[]::new));
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resuming from"), resumed.out());
        assertArrayEquals(RawBits.of(Dl4jNetworks.load(reference.resolve("model.zip")).paramsCopy()),
                RawBits.of(Dl4jNetworks.load(out.resolve("model.zip")).paramsCopy()));
    }

    private static List<String> args(Path train, Path test, Path out) {
        return List.of("pretrain", "--data", train.toString(), "--test-data", test.toString(), "data.format=csv", "--master", "local[2]",
                "model.inputs=16", JobChainTest.SMALL_MODEL_SETTING, "train.batch-per-worker=16", "train.checkpoint-every=10", "--epochs", "2",
                "--out", out.toString());
    }
}
