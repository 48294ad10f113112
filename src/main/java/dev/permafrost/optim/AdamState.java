package dev.permafrost.optim;

/** Adam's first and second moments (not bias-corrected) and step count for one shard. */
public final class AdamState implements ShardState {
    final float[] expAvg;
    final float[] expAvgSq;
    long step;

    AdamState(int length) {
        this.expAvg = new float[length];
        this.expAvgSq = new float[length];
    }

    public AdamState(float[] expAvg, float[] expAvgSq, long step) {
        if (expAvg.length != expAvgSq.length) throw new IllegalArgumentException("moment lengths differ");
        this.expAvg = expAvg.clone();
        this.expAvgSq = expAvgSq.clone();
        this.step = step;
    }

    @Override
    public int length() {
        return expAvg.length;
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public ShardState copy() {
        return new AdamState(expAvg, expAvgSq, step);
    }

    public float[] expAvg() {
        return expAvg.clone();
    }

    public float[] expAvgSq() {
        return expAvgSq.clone();
    }
}
