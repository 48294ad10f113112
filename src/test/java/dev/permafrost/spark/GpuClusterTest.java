package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import dev.permafrost.train.WorkerTimes;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU scheduling on a real standalone cluster without GPUs: each Worker advertises two GPUs through the project's own
 * discovery script (deploy/gpu/discover-gpus.sh, with a stand-in nvidia-smi that lists devices 0 and 1), the job asks
 * one GPU per executor and per task, and each gradient task reads the address Spark assigned it. This build runs
 * ND4J's CPU backend, so every worker falls back to the CPU and says so; the assigned addresses are recorded.
 */
@Tag("slow")
class GpuClusterTest {
    @TempDir
    Path dir;

    @Test
    void tasksReadTheGpuSparkAssignedThemAndFallBackToTheCpu() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        Path nvidiaSmi = bin.resolve("nvidia-smi");
        Files.writeString(nvidiaSmi, "#!/bin/sh\n# Stands in for NVIDIA's tool: two devices, as --query-gpu=index --format=csv,noheader prints them.\n"
                + "printf '0\\n1\\n'\n");
        Path discovery = dir.resolve("discover.sh");
        Files.writeString(discovery, "#!/bin/sh\nPATH=" + bin + ":$PATH exec " + Path.of("deploy/gpu/discover-gpus.sh").toAbsolutePath() + "\n");
        for (Path p : List.of(nvidiaSmi, discovery)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));

        Map<String, String> workerConf = Map.of("spark.worker.resource.gpu.amount", "2",
                "spark.worker.resource.gpu.discoveryScript", discovery.toString());
        try (StandaloneCluster cluster = StandaloneCluster.start(new StandaloneCluster.Settings(Files.createDirectories(dir.resolve("cluster")), 2, 1,
                "3g", 0, System.getProperty("java.class.path"), List.of(), workerConf), StandaloneCluster.OnClose.DELETE_DIR)) {
            SparkConf conf = new SparkConf().setMaster(cluster.url()).setAppName("permafrost-gpu-test");
            cluster.driverConf().forEach(conf::set);
            // As conf/spark-gpu.conf asks: one GPU per executor, one per task.
            conf.set("spark.executor.resource.gpu.amount", "1");
            conf.set("spark.task.resource.gpu.amount", "1");
            conf.set("spark.executor.cores", "1");
            SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
            try {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                LabeledData data = Fashion.train(640);
                var rows = SparkSessions.rows(sc, data, 2);
                TrainingConfig config = new TrainingConfig(2, 16, 1, 7, OptimizerConfig.Adam.adam(1e-3),
                        FreezeSchedule.constant(FreezePlan.freezing("pretrained.*")), ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 10);
                DistributedTrainer.Result r;
                try (SparkEpochRunner runner = new SparkEpochRunner(sc, rows, data.width(), data.classes())) {
                    assertTrue(runner.awaitSlots(2, 120), "two executors with a GPU each should register");
                    r = new DistributedTrainer(config, "127.0.0.1", 1).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), data.size(), runner,
                            TrainingListener.NONE);
                }
                List<WorkerTimes> workers = r.workerTimes();
                assertEquals(2, workers.size());
                assertEquals(2, workers.stream().map(WorkerTimes::executor).collect(Collectors.toSet()).size(), "one executor JVM each");
                for (WorkerTimes w : workers) {
                    assertTrue(Set.of("0", "1").contains(w.device().gpuAddress()), "an address the discovery script listed: " + w);
                    assertEquals("cpu", w.device().device());
                    assertTrue(w.device().warning().startsWith("Spark assigned GPU " + w.device().gpuAddress() + " but this executor runs ND4J's CPU backend"),
                            w.device().warning());
                }
            } finally {
                spark.stop();
            }
        }
    }
}
