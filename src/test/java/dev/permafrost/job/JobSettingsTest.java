package dev.permafrost.job;


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

    @Test
    void everySettingHasTheTypeOfItsDefault() {
        String[][] cases = {
                {"train.workers=1.5", "train.workers = 1.5", "not a whole number"},
                {"train.workers=abc", "train.workers = 'abc'", "not a number"},
                {"train.workers=2147483648", "train.workers = 2147483648", "out of range"},
                {"train.keep-checkpoints=1e10", "train.keep-checkpoints", "out of range"},
                {"optimizer.lr=fast", "optimizer.lr = 'fast'", "not a number"},
                {"train.featurize-once=maybe", "train.featurize-once = 'maybe'", "not true or false"},
                {"train.seed=99999999999999999999", "train.seed", "out of range"},
        };
        for (String[] c : cases) {
            var e = assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(), List.of(c[0])), c[0]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains(c[2]) && e.getMessage().contains("e.g. "), e.getMessage());
        }
        // What the types allow: a long seed, a fraction where the default is a fraction (0.0), numbers as text.
        JobSettings ok = JobSettings.load(Optional.empty(), List.of("train.seed=99999999999", "optimizer.weight-decay=0.01",
                "train.workers=\"3\"", "optimizer.name=adamw"));
        assertEquals(99999999999L, ok.root().getLong("train.seed"));
        assertEquals(3, ok.training().workers());
        assertEquals(0.01, ((OptimizerConfig.Adam) ok.optimizer()).weightDecay());
    }

    @Test
    void aMasterSparkCannotUseIsNamedWithTheChoices() {
        for (String bad : List.of("bogus://x", "local[0]", "local[-1]", "local[99999999999]", "spark://nohost", "")) {
            var e = assertThrows(IllegalArgumentException.class, () -> dev.permafrost.spark.SparkSessions.requireMaster(bad), bad);
            assertTrue(e.getMessage().contains("--master " + bad) && e.getMessage().contains("local[*]"), e.getMessage());
        }
        for (String good : List.of("local", "local[1]", "local[*]", "local[2,3]", "spark://127.0.0.1:7077", "spark://a:1,b:2", "yarn",
                "k8s://https://10.0.0.1:6443")) {
            dev.permafrost.spark.SparkSessions.requireMaster(good);
        }
    }
}
