package dev.permafrost.cli;

import dev.permafrost.freeze.Label;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobSettingsTest {

    @Test
    void theReadyJobFilesLoadAndOverridesWin() {
        JobSettings s = JobSettings.load(Optional.of(Path.of("jobs/finetune.conf")), List.of("train.epochs=5", "permafrost.optimizer.lr=3e-4",
                "data.path=hdfs://nn:8020/data/train"));
        assertEquals(5, s.training().epochs());
        assertEquals(3e-4, s.optimizer().lr());
        assertEquals("hdfs://nn:8020/data/train", s.optional("data.path").orElseThrow());
        assertEquals(5, s.root().getInt("model.replace-head-classes"));
        var labels = s.schedule().resolve(Dl4jNetworks.of(FashionMlp.build(5, 1)).params()).get(0).labels();
        assertEquals(8, labels.names(Label.FROZEN).size());
        JobSettings pre = JobSettings.load(Optional.of(Path.of("jobs/pretrain.conf")), List.of());
        assertEquals(5, pre.modelSpec().classes());
        assertTrue(pre.optimizer() instanceof OptimizerConfig.Adam);
    }

    @Test
    void anUnknownKeyNamesTheClosestValidKey(@TempDir Path dir) throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(), List.of("train.epoch=3")));
        assertTrue(e.getMessage().contains("unknown setting 'permafrost.train.epoch'") && e.getMessage().contains("permafrost.train.epochs"),
                e.getMessage());
        Path job = dir.resolve("job.conf");
        Files.writeString(job, "permafrost { optimiser { lr = 0.1 } }");
        var inFile = assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.of(job), List.of()));
        assertTrue(inFile.getMessage().contains(job.toString()) && inFile.getMessage().contains("permafrost.optimizer"), inFile.getMessage());
    }

    @Test
    void countsThatCannotTrainAreRefusedNamingTheirKey() {
        for (String[] c : new String[][]{{"train.epochs=0", "train.epochs = 0"}, {"train.workers=0", "train.workers = 0"},
                {"train.batch-per-worker=-1", "train.batch-per-worker = -1"}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(), List.of(c[0])).training());
            assertTrue(e.getMessage().startsWith(c[1]) && e.getMessage().contains("must be a whole number >= 1"), e.getMessage());
        }
        assertEquals(1, JobSettings.load(Optional.empty(), List.of("train.epochs=1")).training().epochs());
    }

    @Test
    void badValuesAreExplained(@TempDir Path dir) throws Exception {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(), List.of("optimizer.name=lamb")).optimizer())
                .getMessage().contains("choose adam, adamw or sgd"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(), List.of("epochs")))
                .getMessage().contains("key=value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.of(dir.resolve("none.conf")), List.of()))
                .getMessage().contains("does not exist"));
        Path broken = dir.resolve("broken.conf");
        Files.writeString(broken, "permafrost { train { epochs = ");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.of(broken), List.of()))
                .getMessage().contains("not valid HOCON"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(), List.of()).required("out", "--out DIR"))
                .getMessage().contains("--out DIR"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(), List.of("model.layers.3.out=10")).modelSpec())
                .getMessage().contains("repeat the list"));
    }
}
