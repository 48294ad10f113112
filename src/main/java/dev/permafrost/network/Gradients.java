package dev.permafrost.network;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * One worker's gradient over its minibatch in the flat layout: sums over the samples for ordinary parameters,
 * DL4J's update times the sample count for running statistics, so every element averages the same way. The values
 * are read from DL4J's own gradient memory ({@code view}, valid until the network's next gradient), and a running
 * statistic's range is scaled as it is read.
 */
public final class Gradients {
    private final FloatBuffer view;
    private final int samples;
    private final double lossSum;
    /** [start, end) ranges whose elements are multiplied by {@code samples} as they are read. */
    private final List<long[]> scaledRanges;

    public Gradients(FloatBuffer view, int samples, double lossSum, List<long[]> scaledRanges) {
        this.view = view;
        this.samples = samples;
        this.lossSum = lossSum;
        this.scaledRanges = List.copyOf(scaledRanges);
    }

    public int samples() {
        return samples;
    }

    public double lossSum() {
        return lossSum;
    }

    /** A copy of the whole gradient. */
    public float[] flat() {
        float[] out = new float[view.limit()];
        copyRange(0, out.length, FloatBuffer.wrap(out));
        return out;
    }

    /** Copies {@code [offset, offset + length)} to {@code out} at its position, scaling running statistics: one copy. */
    public void copyRange(int offset, int length, FloatBuffer out) {
        int at = offset;
        int end = offset + length;
        while (at < end) {
            long[] scaled = scaledRangeAtOrAfter(at);
            int plainEnd = scaled == null ? end : (int) Math.min(end, Math.max(at, scaled[0]));
            if (plainEnd > at) {
                out.put(view.slice(at, plainEnd - at));
                at = plainEnd;
            }
            if (scaled != null && at < end && at >= scaled[0]) {
                int scaledEnd = (int) Math.min(end, scaled[1]);
                for (int i = at; i < scaledEnd; i++) out.put(view.get(i) * samples);
                at = scaledEnd;
            }
        }
    }

    /** The first scaled range that ends after {@code at}, or null. */
    private long[] scaledRangeAtOrAfter(int at) {
        long[] best = null;
        for (long[] r : scaledRanges) {
            if (r[1] > at && (best == null || r[0] < best[0])) best = r;
        }
        return best;
    }
}
