package dev.permafrost.checkpoint;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.ThreadEpochRunner;
import dev.permafrost.train.TrainState;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run stopped anywhere resumes to the same bits; damaged checkpoints are skipped; bad resumes are refused. */
@Tag("slow")
class CheckpointResumeTest {
    static final LabeledData DATA = Fashion.train(640);
    static final FreezeSchedule FREEZE_AT_ONE = FreezeSchedule.of(new FreezeSchedule.Phase(1, FreezePlan.freezing("pretrained.*")));

    static TrainingConfig config(FreezeSchedule schedule) {
        return new TrainingConfig(2, 16, 3, 7, OptimizerConfig.Adam.adam(1e-3), schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 5);
    }

    static Network fresh() {
        return Dl4jNetworks.of(FashionMlp.build(10, 8));
    }

    static float[] run(TrainingConfig c, TrainState resume, CheckpointStore store, int every, TrainingListener listener) {
        try (ThreadEpochRunner runner = new ThreadEpochRunner(DATA, c.workers())) {
            var ck = store == null ? DistributedTrainer.Checkpointing.NONE : new DistributedTrainer.Checkpointing(every, store::write);
            return new DistributedTrainer(c, "127.0.0.1", 1).fit(fresh(), DATA.size(), runner, listener, Optional.ofNullable(resume), ck)
                    .server().assemble();
        }
    }

    /** Stops the run (as a crashed driver would) once the server reaches {@code version}. */
    static TrainingListener crashAt(long version) {
        return new TrainingListener() {
            @Override
            public void onStep(StepEvent e, Optional<Network> n) {
                if (e.version() == version) throw new IllegalStateException("simulated crash at step " + version);
            }
        };
    }

    static CheckpointStore store(Path dir, int keep) {
        return new CheckpointStore(new HadoopFiles(new Configuration()), dir.toUri().toString().replaceAll("/$", ""), keep);
    }

    @Test
    void aRunStoppedAnywhereResumesToTheUninterruptedRunsBits(@TempDir Path dir) {
        float[] uninterrupted = run(config(FREEZE_AT_ONE), null, null, 0, TrainingListener.NONE);
        CheckpointStore store = store(dir.resolve("ckpt"), 100);
        var crash = assertThrows(IllegalStateException.class, () -> run(config(FREEZE_AT_ONE), null, store, 7, crashAt(45)));
        assertTrue(crash.getMessage().contains("simulated crash"), crash.getMessage());
        List<String> names = store.names();
        assertTrue(names.size() >= 7, names.toString());
        // Resume from the epoch-1 boundary (the freeze transition), from mid epoch 1, and from the newest (mid epoch 2).
        List<TrainState> picks = new ArrayList<>();
        for (String n : names) {
            TrainState s = store.read(n).state();
            if (s.version() == 20 || s.version() == 28) picks.add(s);
        }
        picks.add(store.latestValid(msg -> { }).orElseThrow().state());
        assertEquals(3, picks.size(), names.toString());
        assertEquals(0, picks.get(0).stepInEpoch(), "version 20 is the end of epoch 0");
        assertEquals(1, picks.get(0).epoch());
        for (TrainState s : picks) {
            float[] resumed = run(config(FREEZE_AT_ONE), s, null, 0, TrainingListener.NONE);
            assertArrayEquals(RawBits.of(uninterrupted), RawBits.of(resumed), "resumed from version " + s.version());
        }
    }

    @Test
    void aDamagedCheckpointIsReportedAndThePreviousOneUsed(@TempDir Path dir) throws Exception {
        CheckpointStore store = store(dir.resolve("ckpt"), 100);
        assertThrows(IllegalStateException.class, () -> run(config(FREEZE_AT_ONE), null, store, 7, crashAt(30)));
        List<String> names = store.names();
        String newest = names.get(names.size() - 1);
        // Hadoop's own .crc files out of the way: the project's SHA-256 must be what catches the damage.
        try (var crc = Files.walk(dir)) {
            for (Path p : crc.filter(p -> p.getFileName().toString().endsWith(".crc")).toList()) Files.delete(p);
        }
        Path opt = dir.resolve("ckpt").resolve(newest).resolve("optimizer.bin");
        byte[] bytes = Files.readAllBytes(opt);
        bytes[bytes.length / 2] ^= 1;
        Files.write(opt, bytes);
        Files.createDirectories(dir.resolve("ckpt").resolve(".tmp-ckpt-000000000099-interrupted"));
        List<String> reports = new ArrayList<>();
        var loaded = store.latestValid(reports::add).orElseThrow();
        assertEquals(names.get(names.size() - 2), loaded.name());
        assertEquals(1, reports.size());
        assertTrue(reports.get(0).contains(newest) && reports.get(0).contains("optimizer.bin has SHA-256"), reports.get(0));
        assertFalse(store.names().stream().anyMatch(n -> n.startsWith(".tmp")), "an interrupted write is not a checkpoint");
        // Truncated model: also skipped.
        Path model = dir.resolve("ckpt").resolve(loaded.name()).resolve("model.zip");
        Files.write(model, java.util.Arrays.copyOf(Files.readAllBytes(model), 100));
        var earlier = store.latestValid(r -> { }).orElseThrow();
        assertTrue(earlier.name().compareTo(loaded.name()) < 0);
    }

    @Test
    void aDamagedManifestUndecodableOptimizerStateOrStateForAFrozenShardIsReportedAndThePreviousOneUsed(@TempDir Path dir)
            throws Exception {
        Path root = dir.resolve("ckpt");
        CheckpointStore store = store(root, 100);
        assertThrows(IllegalStateException.class, () -> run(config(FREEZE_AT_ONE), null, store, 7, crashAt(30)));
        try (var crc = Files.walk(dir)) {
            for (Path p : crc.filter(p -> p.getFileName().toString().endsWith(".crc")).toList()) Files.delete(p);
        }
        List<String> names = store.names();
        String newest = names.get(names.size() - 1);

        // A manifest with one byte changed: its own checksum catches it.
        Path manifest = root.resolve(newest).resolve("manifest.json");
        String text = Files.readString(manifest);
        Files.writeString(manifest, text.replace("\"seed\": ", "\"seed\":  "));
        List<String> reports = new ArrayList<>();
        assertEquals(names.get(names.size() - 2), store.latestValid(reports::add).orElseThrow().name());
        assertTrue(reports.get(0).contains("manifest.json has SHA-256"), reports.get(0));

        // optimizer.bin that passes its SHA-256 (manifest and its checksum rewritten to match) but does not decode.
        Files.writeString(manifest, text);
        Path opt = root.resolve(newest).resolve("optimizer.bin");
        String oldSha = dev.permafrost.io.Sha256.hex(Files.readAllBytes(opt));
        byte[] garbage = "not optimizer state at all".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Files.write(opt, garbage);
        String rewritten = text.replace(oldSha, dev.permafrost.io.Sha256.hex(garbage));
        Files.writeString(manifest, rewritten);
        Files.writeString(root.resolve(newest).resolve("manifest.sha256"), dev.permafrost.io.Sha256.hex(rewritten.getBytes(
                java.nio.charset.StandardCharsets.UTF_8)) + "\n");
        reports.clear();
        assertEquals(names.get(names.size() - 2), store.latestValid(reports::add).orElseThrow().name());
        assertTrue(reports.get(0).contains("not a Permafrost optimizer state"), reports.get(0));

        // A checkpoint that holds optimizer state for a frozen shard is not one of ours either.
        TrainState good = store.read(names.get(names.size() - 2)).state();
        int frozen = java.util.stream.IntStream.range(0, good.shards().size())
                .filter(i -> good.shards().get(i).label() == dev.permafrost.freeze.Label.FROZEN).findFirst().orElseThrow();
        var states = new java.util.HashMap<>(good.optimizerStates());
        states.put(frozen, new dev.permafrost.optim.AdamState(new float[good.shards().get(frozen).length()],
                new float[good.shards().get(frozen).length()], 3));
        TrainState bad = new TrainState(good.version() + 1000, good.epoch(), good.epochStartVersion(), good.seed(), good.phase(),
                good.configJson(), good.graph(), good.params(), good.paramNames(), good.labels(), good.schedule(), good.shards(),
                good.optimizer(), states, good.meanLoss(), good.job());
        store.write(bad);
        reports.clear();
        assertEquals(names.get(names.size() - 2), store.latestValid(reports::add).orElseThrow().name());
        assertTrue(reports.get(0).contains("optimizer.bin holds state for shard " + frozen) && reports.get(0).contains("frozen"),
                reports.get(0));
    }

    @Test
    void retentionKeepsTheNewestAndTheBest(@TempDir Path dir) {
        CheckpointStore store = store(dir.resolve("ckpt"), 2);
        run(config(FREEZE_AT_ONE), null, store, 5, TrainingListener.NONE);
        List<String> names = store.names();
        assertTrue(names.size() >= 2 && names.size() <= 3, names.toString());
        assertEquals("ckpt-000000000060", names.get(names.size() - 1));
    }

    @Test
    void resumingWithAnotherArchitectureSeedOrPlanIsRefusedNamingTheDifference(@TempDir Path dir) {
        CheckpointStore store = store(dir.resolve("ckpt"), 100);
        assertThrows(IllegalStateException.class, () -> run(config(FREEZE_AT_ONE), null, store, 7, crashAt(30)));
        TrainState s = store.latestValid(m -> { }).orElseThrow().state();
        try (ThreadEpochRunner runner = new ThreadEpochRunner(DATA, 2)) {
            var arch = assertThrows(IllegalArgumentException.class, () -> new DistributedTrainer(config(FREEZE_AT_ONE), "127.0.0.1", 1)
                    .fit(Dl4jNetworks.of(FashionMlp.build(5, 8)), DATA.size(), runner, TrainingListener.NONE, Optional.of(s), DistributedTrainer.Checkpointing.NONE));
            assertTrue(arch.getMessage().contains("head.W (128x10 saved, 128x5 now)"), arch.getMessage());
            var plan = assertThrows(IllegalArgumentException.class, () -> new DistributedTrainer(
                    config(FreezeSchedule.of(new FreezeSchedule.Phase(1, FreezePlan.freezing("pretrained.fc1.*")))), "127.0.0.1", 1)
                    .fit(fresh(), DATA.size(), runner, TrainingListener.NONE, Optional.of(s), DistributedTrainer.Checkpointing.NONE));
            assertTrue(plan.getMessage().contains("pretrained.fc2.W (frozen in the checkpoint, trainable in the plan)"), plan.getMessage());
            var seed = assertThrows(IllegalArgumentException.class, () -> new DistributedTrainer(config(FREEZE_AT_ONE).withSeed(8), "127.0.0.1", 1)
                    .fit(fresh(), DATA.size(), runner, TrainingListener.NONE, Optional.of(s), DistributedTrainer.Checkpointing.NONE));
            assertTrue(seed.getMessage().contains("train.seed"), seed.getMessage());
        }
    }

    @Test
    void aNaNGradientStopsTheRunNamingStepAndWorkerAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) {
        float[] x = DATA.features().clone();
        var plan = dev.permafrost.train.EpochPlan.of(DATA.size(), 2, 16, 7, 0);
        int poisoned = plan.order()[plan.slice(11, 1)[0]]; // worker 1's first row at step 12 of epoch 0 (version 12)
        x[poisoned * DATA.width() + 5] = Float.NaN;
        LabeledData bad = new LabeledData(x, DATA.labels(), DATA.width(), DATA.classes());
        CheckpointStore store = store(dir.resolve("ckpt"), 100);
        try (ThreadEpochRunner runner = new ThreadEpochRunner(bad, 2)) {
            var e = assertThrows(IllegalStateException.class, () -> new DistributedTrainer(config(FREEZE_AT_ONE), "127.0.0.1", 1)
                    .fit(fresh(), bad.size(), runner, TrainingListener.NONE, Optional.empty(), new DistributedTrainer.Checkpointing(7, store::write)));
            assertTrue(e.getMessage().contains("worker 1") && e.getMessage().contains("step 12"), e.getMessage());
        }
        var last = store.latestValid(m -> { }).orElseThrow();
        assertEquals(7, last.state().version());
        for (float v : last.state().params()) assertTrue(Float.isFinite(v));
    }
}
