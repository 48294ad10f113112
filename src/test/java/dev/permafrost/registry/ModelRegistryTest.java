package dev.permafrost.registry;

import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.Json;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Publishing on a local disk and on a real HDFS (an in-process MiniDFSCluster): runs racing from the same version for
 * the next number, released together, publish exactly once per round; a decision is recorded once; a pointer left
 * behind is moved on by the next reader.
 */
@Tag("slow")
class ModelRegistryTest {
    @TempDir
    Path dir;

    @Test
    void racingPublishersGetEachVersionOnceOnALocalDisk() throws Exception {
        races(new HadoopFiles(new Configuration()), dir.resolve("models").toUri().toString().replaceAll("/$", ""));
    }

    @Test
    void racingPublishersGetEachVersionOnceOnHdfs() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            hdfs.waitActive();
            races(new HadoopFiles(hdfs.getConfiguration(0)), hdfs.getURI() + "/models");
        } finally {
            hdfs.shutdown();
        }
    }

    private static void races(HadoopFiles files, String root) throws Exception {
        ModelRegistry registry = new ModelRegistry(files, root, "m");
        assertTrue(registry.current(note -> { }).isEmpty());
        int runners = 4;
        ExecutorService pool = Executors.newFixedThreadPool(runners);
        try {
            for (int round = 1; round <= 5; round++) {
                int base = registry.current(note -> { }).map(ModelRegistry.Version::number).orElse(0);
                assertEquals(round - 1, base);
                List<String> runs = new ArrayList<>();
                for (int i = 0; i < runners; i++) runs.add(staged(files, registry, "p" + round + "-" + i, base + 1));
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (String run : runs) {
                    results.add(pool.submit(() -> {
                        go.await();
                        return registry.publish(run, base + 1);
                    }));
                }
                go.countDown();
                int won = 0;
                String winner = null;
                for (int i = 0; i < runners; i++) {
                    if (results.get(i).get()) {
                        won++;
                        winner = "p" + round + "-" + i;
                    }
                }
                assertEquals(1, won, "round " + round + ": exactly one run publishes v" + (base + 1));
                ModelRegistry.Version current = registry.current(note -> { }).orElseThrow();
                assertEquals(base + 1, current.number());
                assertEquals(winner, registry.record(current).partition(), "the published folder is the winner's, whole");
                assertEquals(winner, new String(files.read(current.dir() + "/marker"), StandardCharsets.UTF_8));
                for (int i = 0; i < runners; i++) {
                    String run = runs.get(i);
                    // The losers' folders are where they were, untouched.
                    assertEquals(!("p" + round + "-" + i).equals(winner), files.exists(run + "/record.json"), run);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals("v5", new String(files.read(registry.dir() + "/CURRENT"), StandardCharsets.UTF_8).strip());

        // Decisions are written once, whole: of writers racing for one partition exactly one wins, and its record stays.
        ExecutorService writers = Executors.newFixedThreadPool(runners);
        try {
            for (int round = 0; round < 5; round++) {
                String partition = "date=2026-11-2" + round;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                List<ModelRegistry.Decision> decisions = new ArrayList<>();
                for (int i = 0; i < runners; i++) {
                    ModelRegistry.Decision d = new ModelRegistry.Decision(partition, i % 2 == 0 ? "kept" : "published", 5, "writer " + i, "accuracy",
                            0.9, 0.5 + i / 100.0, "r" + i, "d", "t" + i);
                    decisions.add(d);
                    results.add(writers.submit(() -> {
                        go.await();
                        return registry.recordDecision(d);
                    }));
                }
                go.countDown();
                int won = -1;
                for (int i = 0; i < runners; i++) {
                    if (results.get(i).get()) {
                        assertEquals(-1, won, "a second writer won " + partition);
                        won = i;
                    }
                }
                assertTrue(won >= 0, "nobody recorded " + partition);
                assertEquals(decisions.get(won), registry.decision(partition).orElseThrow());
                assertFalse(registry.recordDecision(decisions.get((won + 1) % runners)));
            }
        } finally {
            writers.shutdownNow();
        }
        List<String> leftovers = files.list(registry.dir() + "/decisions").stream().filter(n -> n.contains(".tmp")).toList();
        assertEquals(List.of(), leftovers, "no temporary files left behind");

        // A run that moved v6 into place but stopped before the pointer: the next reader moves the pointer on.
        String run = staged(files, registry, "late", 6);
        assertTrue(files.moveExclusive(run, registry.dir() + "/v6"));
        List<String> notes = new ArrayList<>();
        assertEquals(6, registry.current(notes::add).orElseThrow().number());
        assertEquals(1, notes.size(), notes.toString());
        assertEquals("v6", new String(files.read(registry.dir() + "/CURRENT"), StandardCharsets.UTF_8).strip());
        assertEquals(6, registry.history(registry.current(n -> { }).orElseThrow()).size());
    }

    /** A finished run folder: a record naming its partition and a marker file. */
    private static String staged(HadoopFiles files, ModelRegistry registry, String partition, int version) {
        String run = registry.runDir(partition);
        files.write(run, "marker", partition.getBytes(StandardCharsets.UTF_8));
        files.write(run, "record.json", Json.write(new ModelRegistry.VersionRecord(version, version - 1, partition, "data", 1, "0", "accuracy",
                0.5, "now", Map.of())).getBytes(StandardCharsets.UTF_8));
        return run;
    }
}
