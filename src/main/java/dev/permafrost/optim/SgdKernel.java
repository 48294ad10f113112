package dev.permafrost.optim;

/**
 * SGD with momentum in torch.optim's order: coupled weight decay, then {@code buf = buf·μ + (1-dampening)·g}
 * (the first step copies g), Nesterov's look-ahead if asked, then {@code p += -lr·d}. {@code add_} is fused
 * when {@code fma} is on.
 */
public final class SgdKernel implements OptimizerKernel {
    private final OptimizerConfig.Sgd config;

    public SgdKernel(OptimizerConfig.Sgd config) {
        this.config = config;
    }

    @Override
    public ShardState newState(int length) {
        return new SgdState(length);
    }

    @Override
    public void step(float[] params, int paramsFrom, float[] grad, int gradFrom, int length, ShardState state) {
        SgdState s = (SgdState) state;
        if (s.length() != length) throw new IllegalArgumentException("state covers " + s.length() + " elements, step got " + length);
        final boolean first = s.step == 0;
        s.step++;
        final float wd = (float) config.weightDecay();
        final boolean decay = config.weightDecay() != 0;
        final float mu = (float) config.momentum();
        final boolean momentum = config.momentum() != 0;
        final float oneMinusDampening = (float) (1 - config.dampening());
        final float negLr = (float) -config.lr();
        final boolean fma = config.fma();
        final float[] buf = s.momentumBuffer;
        for (int i = 0; i < length; i++) {
            float pi = params[paramsFrom + i];
            float d = grad[gradFrom + i];
            if (decay) d = fma ? Math.fma(wd, pi, d) : d + wd * pi;
            if (momentum) {
                float b = first ? d : (fma ? Math.fma(oneMinusDampening, d, buf[i] * mu) : buf[i] * mu + oneMinusDampening * d);
                buf[i] = b;
                d = config.nesterov() ? (fma ? Math.fma(mu, b, d) : d + mu * b) : b;
            }
            params[paramsFrom + i] = fma ? Math.fma(negLr, d, pi) : pi + negLr * d;
        }
    }
}
