package dev.permafrost.optim;

/** SGD's momentum buffer for one shard; absent until the first step, as in torch.optim. */
public final class SgdState implements ShardState {
    final float[] momentumBuffer;
    long step;

    SgdState(int length) {
        this.momentumBuffer = new float[length];
    }

    @Override
    public int length() {
        return momentumBuffer.length;
    }

    @Override
    public long step() {
        return step;
    }

    public float[] momentumBuffer() {
        return momentumBuffer.clone();
    }
}
