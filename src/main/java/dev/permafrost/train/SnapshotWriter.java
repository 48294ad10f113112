package dev.permafrost.train;

import dev.permafrost.ps.StepTimes;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Writes training-state snapshots on a thread of its own, in the order they were taken, so a step hands its snapshot
 * over and goes on instead of waiting for the filesystem. At most {@link #IN_FLIGHT} snapshots are held: a step waits
 * only when the filesystem is that far behind. A failed write fails the next hand-over and {@link #finish()}.
 */
final class SnapshotWriter implements AutoCloseable {
    /** Snapshots being written or waiting: each holds a copy of the parameters and optimizer state. */
    static final int IN_FLIGHT = 2;

    private final Consumer<TrainState> sink;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "permafrost-checkpoint-writer");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore slots = new Semaphore(IN_FLIGHT);
    private volatile RuntimeException failure;
    private long writeNanos;
    private int written;

    SnapshotWriter(Consumer<TrainState> sink) {
        this.sink = sink;
    }

    /** How long a step waits for the writer to catch up before the job fails: the store is then taken as stalled. */
    static final long STALL_MINUTES = 10;

    /** Hands a snapshot over; throws the failure of an earlier write, if any, or when the writer has been stuck too long. */
    void write(TrainState state) {
        requireNoFailure();
        try {
            if (!slots.tryAcquire(STALL_MINUTES, TimeUnit.MINUTES)) {
                throw new IllegalStateException("checkpoint writes have been " + IN_FLIGHT + " snapshots behind for " + STALL_MINUTES
                        + " minutes: the checkpoint store is stalled; check the output file system");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the checkpoint writer", e);
        }
        try {
            thread.execute(() -> writeNow(state));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            slots.release();
            throw new IllegalStateException("the checkpoint writer is closed", e);
        }
    }

    /** On the writer's thread: writes one snapshot unless an earlier write failed, and frees its slot. */
    private void writeNow(TrainState state) {
        long start = System.nanoTime();
        try {
            if (failure == null) sink.accept(state);
        } catch (RuntimeException e) {
            failure = e;
        } catch (Error e) {
            failure = new IllegalStateException("writing a checkpoint failed: " + e, e);
        } finally {
            synchronized (this) {
                writeNanos += System.nanoTime() - start;
                written++;
            }
            slots.release();
        }
    }

    /** Waits until every snapshot handed over is written, then throws the first write's failure, if any. */
    void finish() {
        slots.acquireUninterruptibly(IN_FLIGHT);
        slots.release(IN_FLIGHT);
        requireNoFailure();
    }

    /** Time spent writing, on the writer's thread. */
    synchronized StepTimes writeTimes() {
        StepTimes.Clock clock = new StepTimes.Clock();
        clock.add(StepTimes.Part.CHECKPOINT_WRITE, writeNanos);
        return clock.total();
    }

    private void requireNoFailure() {
        RuntimeException e = failure;
        if (e != null) throw e;
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(60, TimeUnit.SECONDS)) thread.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
    }
}
