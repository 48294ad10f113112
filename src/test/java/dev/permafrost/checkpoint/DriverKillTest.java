package dev.permafrost.checkpoint;

import dev.permafrost.cli.Main;
import dev.permafrost.data.LabeledData;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.Launch;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver process of a fine-tune with frozen shards killed with SIGKILL mid-epoch and the same command started again:
 * it resumes from its newest checkpoint and ends bit-identical to an undisturbed run, frozen weights included.
 */
@Tag("slow")
class DriverKillTest {

    @Test
    void aKilledFineTuneResumesAndEndsBitIdenticalToAnUndisturbedRun(@TempDir Path dir) throws Exception {
        Path data = writeLibSvm(dir.resolve("train.libsvm"), Fashion.train(dev.permafrost.data.FashionMnist.ClassRange.parse("0-4")).head(6000));
        List<String> common = List.of("--data", data.toString(), "data.format=libsvm", "data.test-path=null", "--master", "local[2]",
                "train.batch-per-worker=16");
        List<String> pretrain = new ArrayList<>(List.of("pretrain", "--job", "jobs/pretrain.conf", "--epochs", "1", "--out",
                dir.resolve("pretrain").toString()));
        pretrain.addAll(common);
        assertEquals(0, Main.run(pretrain.toArray(String[]::new)));
        // The fine-tune trains only the new head; frequent checkpoints keep it running long enough to be killed mid-epoch.
        List<String> args = new ArrayList<>(List.of("finetune", "--job", "jobs/finetune.conf", "--model",
                dir.resolve("pretrain/model.zip").toString(), "--epochs", "4", "train.checkpoint-every=10", "train.keep-checkpoints=100"));
        args.addAll(common);
        Path killedOut = dir.resolve("killed");
        List<String> first = new ArrayList<>(args);
        first.addAll(List.of("--out", killedOut.toString()));
        Process driver = Launch.permafrost(first, dir.resolve("first.log"));
        Path checkpoints = killedOut.resolve("checkpoints");
        long deadline = System.nanoTime() + 180_000_000_000L;
        // Kill once a checkpoint from the middle of epoch 2 exists (188 steps per epoch; version >= 220).
        while (System.nanoTime() < deadline && driver.isAlive() && !hasCheckpointFrom(checkpoints, 220)) Thread.sleep(20);
        assertTrue(driver.isAlive(), "the run ended before it could be killed; its log:\n" + Files.readString(dir.resolve("first.log")));
        driver.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
        driver.waitFor();
        assertFalse(Files.exists(killedOut.resolve("model.zip")), "killed mid-run: no final model yet");

        Process again = Launch.permafrost(first, dir.resolve("second.log"));
        assertEquals(0, again.waitFor(), Files.readString(dir.resolve("second.log")));
        String second = Files.readString(dir.resolve("second.log"));
        assertTrue(second.contains("resuming from"), second);
        assertTrue(second.contains("frozen parameters") && second.contains("bit-identical to the values they were frozen with"), second);

        List<String> undisturbed = new ArrayList<>(args);
        undisturbed.addAll(List.of("--out", dir.resolve("undisturbed").toString()));
        assertEquals(0, Main.run(undisturbed.toArray(String[]::new)));
        float[] a = Dl4jNetworks.load(dir.resolve("undisturbed/model.zip")).paramsCopy();
        float[] b = Dl4jNetworks.load(killedOut.resolve("model.zip")).paramsCopy();
        assertArrayEquals(RawBits.of(a), RawBits.of(b));
    }

    private static boolean hasCheckpointFrom(Path dir, long version) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("ckpt-\\d{12}"))
                    .anyMatch(n -> Long.parseLong(n.substring(5)) >= version);
        }
    }

    static Path writeLibSvm(Path file, LabeledData d) throws IOException {
        try (Writer w = Files.newBufferedWriter(file)) {
            for (int r = 0; r < d.size(); r++) {
                StringBuilder sb = new StringBuilder().append(d.labels()[r]);
                for (int j = 0; j < d.width(); j++) {
                    float v = d.features()[r * d.width() + j];
                    // Float.toString round-trips exactly, so the data the two runs read is identical.
                    if (v != 0f) sb.append(' ').append(j + 1).append(':').append(Float.toString(v));
                }
                w.write(sb.append('\n').toString());
            }
        }
        return file;
    }

}
