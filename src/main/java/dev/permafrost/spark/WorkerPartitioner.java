package dev.permafrost.spark;

import org.apache.spark.Partitioner;

/** Sends each row to the partition of the worker that takes it; partition i is worker i. */
final class WorkerPartitioner extends Partitioner {
    private final int workers;

    WorkerPartitioner(int workers) {
        this.workers = workers;
    }

    @Override
    public int numPartitions() {
        return workers;
    }

    @Override
    public int getPartition(Object key) {
        return (Integer) key;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WorkerPartitioner p && p.workers == workers;
    }

    @Override
    public int hashCode() {
        return workers;
    }
}
