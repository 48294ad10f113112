package dev.permafrost.optim;

/** One optimizer's update rule over plain float ranges, with its per-shard state. */
public interface OptimizerKernel {

    /** Fresh state (step 0) for a shard of this many elements. */
    ShardState newState(int length);

    /**
     * Applies one step in place: {@code params[paramsFrom, paramsFrom + length)} move by the gradient
     * {@code grad[gradFrom, gradFrom + length)}.
     */
    void step(float[] params, int paramsFrom, float[] grad, int gradFrom, int length, ShardState state);
}
