package dev.permafrost.train;

import java.util.List;

/**
 * Runs the W worker tasks of one epoch somewhere: threads in this JVM, or a Spark barrier stage. The trainer above
 * it does not know which.
 */
public interface EpochRunner extends AutoCloseable {

    /** Makes a phase's model available to the workers (a broadcast), replacing the previous one. */
    void publish(WorkerModel model);

    /** Runs all workers of one epoch to its end; throws if any task failed. */
    List<RemoteWorker.Report> run(EpochSpec spec);

    /** Free task slots, or -1 when unknown: fewer than W fails fast instead of waiting. */
    default int slots() {
        return -1;
    }

    /** Waits up to {@code seconds} for {@code slots} free task slots (lost executors being replaced); false if they never come. */
    default boolean awaitSlots(int slots, long seconds) {
        return true;
    }

    @Override
    default void close() {
    }
}
