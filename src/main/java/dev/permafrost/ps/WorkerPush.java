package dev.permafrost.ps;

import java.nio.FloatBuffer;

/**
 * One worker's contribution to one step: for every trainable shard, packed in trainable-layout order, the sum over
 * its samples of the gradient — for running statistics, DL4J's update scaled by the sample count — plus the sample
 * count and the summed loss. Frozen shards are absent: nothing about them travels. The sums are read where they
 * arrived (a view of the received message), never copied.
 */
public record WorkerPush(int worker, long version, long samples, double lossSum, FloatBuffer gradientSums) {
    public WorkerPush {
        if (worker < 0) throw new IllegalArgumentException("worker index " + worker + " is negative");
        if (samples <= 0) throw new IllegalArgumentException("worker " + worker + " pushed " + samples + " samples; every push needs at least 1");
    }

    /** The same, over sums held in an array. */
    public WorkerPush(int worker, long version, long samples, double lossSum, float[] gradientSums) {
        this(worker, version, samples, lossSum, FloatBuffer.wrap(gradientSums));
    }
}
