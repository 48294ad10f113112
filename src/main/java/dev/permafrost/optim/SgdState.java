package dev.permafrost.optim;

/** SGD's momentum buffer for one shard; absent until the first step, as in torch.optim. */
public final class SgdState implements ShardState {
    final float[] momentumBuffer;
    long step;

    SgdState(int length) {
        this.momentumBuffer = new float[length];
    }

    /** Restores saved state (a copy is kept). */
    public SgdState(float[] momentumBuffer, long step) {
        this.momentumBuffer = momentumBuffer.clone();
        this.step = step;
    }

    @Override
    public int length() {
        return momentumBuffer.length;
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public ShardState copy() {
        return new SgdState(momentumBuffer, step);
    }

    public float[] momentumBuffer() {
        return momentumBuffer.clone();
    }
}
