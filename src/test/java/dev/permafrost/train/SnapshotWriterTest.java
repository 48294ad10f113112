package dev.permafrost.train;

import dev.permafrost.freeze.Label;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Snapshots are written off the step's thread, in the order they were taken, and a failed write fails the run. */
class SnapshotWriterTest {

    private static TrainState state(long version) {
        return new TrainState(version, 0, 0, 42, 0, "{}", false, new float[]{1f}, List.of("a.W"), List.of(Label.TRAINABLE), List.of(),
                List.of(new TrainState.ShardRecord(0, 1, false, Label.TRAINABLE, 7L)), "Adam(lr=0.001)", Map.of(), 0.5, JobIdentity.NONE);
    }

    @Test
    void snapshotsAreWrittenInOrderOnAnotherThreadAndTheStepDoesNotWaitForThem() throws Exception {
        List<Long> written = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch release = new CountDownLatch(1);
        try (SnapshotWriter writer = new SnapshotWriter(s -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            threads.add(Thread.currentThread().getName());
            written.add(s.version());
        })) {
            // The store is stuck: both hand-overs return at once all the same.
            writer.write(state(1));
            writer.write(state(2));
            assertTrue(written.isEmpty());
            release.countDown();
            writer.write(state(3));
            writer.finish();
        }
        assertEquals(List.of(1L, 2L, 3L), written);
        assertTrue(threads.stream().allMatch("permafrost-checkpoint-writer"::equals), threads.toString());
    }

    @Test
    void aFailedWriteFailsTheNextHandOverAndTheEndOfTheRun() {
        try (SnapshotWriter writer = new SnapshotWriter(s -> {
            throw new IllegalStateException("disk full writing version " + s.version());
        })) {
            writer.write(state(1));
            var atEnd = assertThrows(IllegalStateException.class, writer::finish);
            assertEquals("disk full writing version 1", atEnd.getMessage());
            var next = assertThrows(IllegalStateException.class, () -> writer.write(state(2)));
            assertEquals("disk full writing version 1", next.getMessage());
        }
    }
}
