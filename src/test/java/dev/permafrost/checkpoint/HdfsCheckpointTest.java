package dev.permafrost.checkpoint;

import dev.permafrost.io.HadoopFiles;
import dev.permafrost.testing.RawBits;
import dev.permafrost.train.TrainState;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints on a real HDFS (an in-process MiniDFSCluster): write, interrupt, resume to the same bits. */
@Tag("slow")
class HdfsCheckpointTest {

    @Test
    void checkpointToHdfsInterruptAndResumeFromIt(@TempDir Path dir) throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            hdfs.waitActive();
            String uri = hdfs.getURI().toString() + "/runs/pretrain/checkpoints";
            assertTrue(uri.startsWith("hdfs://"), uri);
            CheckpointStore store = new CheckpointStore(new HadoopFiles(hdfs.getConfiguration(0)), uri, 3);
            float[] uninterrupted = CheckpointResumeTest.run(CheckpointResumeTest.config(CheckpointResumeTest.FREEZE_AT_ONE), null, null, 0,
                    dev.permafrost.train.TrainingListener.NONE);
            assertThrows(IllegalStateException.class, () -> CheckpointResumeTest.run(CheckpointResumeTest.config(CheckpointResumeTest.FREEZE_AT_ONE),
                    null, store, 6, CheckpointResumeTest.crashAt(40)));
            assertTrue(store.names().size() <= 4, store.names().toString());
            TrainState latest = store.latestValid(m -> { }).orElseThrow().state();
            assertTrue(latest.version() >= 36, "the newest checkpoint is from step " + latest.version());
            float[] resumed = CheckpointResumeTest.run(CheckpointResumeTest.config(CheckpointResumeTest.FREEZE_AT_ONE), latest, null, 0,
                    dev.permafrost.train.TrainingListener.NONE);
            assertArrayEquals(RawBits.of(uninterrupted), RawBits.of(resumed));
        } finally {
            hdfs.shutdown();
        }
    }
}
