package dev.permafrost.optim;

/**
 * Adam and AdamW with torch.optim's single-tensor arithmetic, element by element (see src/test/resources/golden/README.md):
 * scalars computed in double then rounded to the element type; {@code add_(x, alpha)} and {@code addcmul_} fused
 * when {@code fma} is on, as PyTorch's AVX2 CPU kernels do; the final {@code addcdiv_} never fused.
 */
public final class AdamKernel implements OptimizerKernel {
    private final OptimizerConfig.Adam config;

    public AdamKernel(OptimizerConfig.Adam config) {
        this.config = config;
    }

    @Override
    public ShardState newState(int length) {
        return new AdamState(length);
    }

    @Override
    public void step(float[] params, int paramsFrom, float[] grad, int gradFrom, int length, ShardState state) {
        AdamState s = (AdamState) state;
        if (s.length() != length) throw new IllegalArgumentException("state covers " + s.length() + " elements, step got " + length);
        long t = ++s.step;
        stepFloat(params, paramsFrom, grad, gradFrom, s.expAvg, s.expAvgSq, 0, length, t, config);
    }

    /**
     * One float32 step over a range: {@code params[paramsFrom, +length)} move by {@code grad[gradFrom, +length)}; the
     * moments are indexed from {@code stateFrom}; {@code step} is torch.optim's step count, from 1.
     */
    public static void stepFloat(float[] params, int paramsFrom, float[] grad, int gradFrom, float[] expAvg, float[] expAvgSq,
                                 int stateFrom, int length, long step, OptimizerConfig.Adam config) {
        final float beta1 = (float) config.beta1();
        final float beta2 = (float) config.beta2();
        final float oneMinusBeta1 = (float) (1 - config.beta1());
        final float oneMinusBeta2 = (float) (1 - config.beta2());
        final float wd = (float) config.weightDecay();
        final boolean coupled = !config.decoupled() && config.weightDecay() != 0;
        final boolean decoupled = config.decoupled();
        final float decay = (float) (1 - config.lr() * config.weightDecay());
        final double bias1 = 1 - ExactScalars.pow(config.beta1(), step);
        final double bias2 = 1 - ExactScalars.pow(config.beta2(), step);
        final float negStepSize = (float) -(config.lr() / bias1);
        final float bias2Sqrt = (float) Math.sqrt(bias2);
        final float eps = (float) config.eps();
        if (config.fma()) {
            for (int i = 0; i < length; i++) {
                float pi = params[paramsFrom + i];
                float gi = grad[gradFrom + i];
                if (coupled) gi = Math.fma(wd, pi, gi);
                if (decoupled) pi = pi * decay;
                float mi = Math.fma(oneMinusBeta1, gi, expAvg[stateFrom + i] * beta1);
                float vi = Math.fma(oneMinusBeta2 * gi, gi, expAvgSq[stateFrom + i] * beta2);
                float denom = (float) Math.sqrt(vi) / bias2Sqrt + eps;
                params[paramsFrom + i] = pi + (negStepSize * mi) / denom;
                expAvg[stateFrom + i] = mi;
                expAvgSq[stateFrom + i] = vi;
            }
        } else {
            for (int i = 0; i < length; i++) {
                float pi = params[paramsFrom + i];
                float gi = grad[gradFrom + i];
                if (coupled) gi = gi + wd * pi;
                if (decoupled) pi = pi * decay;
                float mi = expAvg[stateFrom + i] * beta1 + oneMinusBeta1 * gi;
                float vi = expAvgSq[stateFrom + i] * beta2 + (oneMinusBeta2 * gi) * gi;
                float denom = (float) Math.sqrt(vi) / bias2Sqrt + eps;
                params[paramsFrom + i] = pi + (negStepSize * mi) / denom;
                expAvg[stateFrom + i] = mi;
                expAvgSq[stateFrom + i] = vi;
            }
        }
    }

    /** The same step in float64, for references recorded in double precision. */
    public static void stepDouble(double[] params, double[] grad, double[] expAvg, double[] expAvgSq, long step, OptimizerConfig.Adam config) {
        final double beta1 = config.beta1();
        final double beta2 = config.beta2();
        final double oneMinusBeta1 = 1 - config.beta1();
        final double oneMinusBeta2 = 1 - config.beta2();
        final double wd = config.weightDecay();
        final boolean coupled = !config.decoupled() && config.weightDecay() != 0;
        final boolean decoupled = config.decoupled();
        final double decay = 1 - config.lr() * config.weightDecay();
        final double negStepSize = -(config.lr() / (1 - ExactScalars.pow(config.beta1(), step)));
        final double bias2Sqrt = Math.sqrt(1 - ExactScalars.pow(config.beta2(), step));
        final double eps = config.eps();
        for (int i = 0; i < params.length; i++) {
            double pi = params[i];
            double gi = grad[i];
            double mi;
            double vi;
            if (config.fma()) {
                if (coupled) gi = Math.fma(wd, pi, gi);
                if (decoupled) pi = pi * decay;
                mi = Math.fma(oneMinusBeta1, gi, expAvg[i] * beta1);
                vi = Math.fma(oneMinusBeta2 * gi, gi, expAvgSq[i] * beta2);
            } else {
                if (coupled) gi = gi + wd * pi;
                if (decoupled) pi = pi * decay;
                mi = expAvg[i] * beta1 + oneMinusBeta1 * gi;
                vi = expAvgSq[i] * beta2 + (oneMinusBeta2 * gi) * gi;
            }
            double denom = Math.sqrt(vi) / bias2Sqrt + eps;
            params[i] = pi + (negStepSize * mi) / denom;
            expAvg[i] = mi;
            expAvgSq[i] = vi;
        }
    }
}
