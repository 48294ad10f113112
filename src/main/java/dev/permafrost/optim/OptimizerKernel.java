package dev.permafrost.optim;

/** One optimizer's update rule over plain float ranges, with its per-shard state. */
public interface OptimizerKernel {

    /** Fresh state (step 0) for a shard of this many elements. */
    ShardState newState(int length);

    /**
     * Applies one step in place: {@code params[pOff, pOff+len)} move by the gradient {@code grad[gOff, gOff+len)}.
     */
    void step(float[] params, int pOff, float[] grad, int gOff, int len, ShardState state);
}
