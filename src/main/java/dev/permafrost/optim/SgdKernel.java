package dev.permafrost.optim;

/**
 * SGD with momentum in torch.optim's order: coupled weight decay, then {@code buf = buf·μ + (1-dampening)·g}
 * (the first step copies g), Nesterov's look-ahead if asked, then {@code p += -lr·d}. {@code add_} is fused
 * when {@code fma} is on.
 */
public final class SgdKernel implements OptimizerKernel {
    private final OptimizerConfig.Sgd c;

    public SgdKernel(OptimizerConfig.Sgd config) {
        this.c = config;
    }

    @Override
    public ShardState newState(int length) {
        return new SgdState(length);
    }

    @Override
    public void step(float[] p, int pOff, float[] g, int gOff, int len, ShardState state) {
        SgdState s = (SgdState) state;
        if (s.length() != len) throw new IllegalArgumentException("state covers " + s.length() + " elements, step got " + len);
        final boolean first = s.step == 0;
        s.step++;
        final float wd = (float) c.weightDecay();
        final boolean decay = c.weightDecay() != 0;
        final float mu = (float) c.momentum();
        final boolean momentum = c.momentum() != 0;
        final float oneMinusDampening = (float) (1 - c.dampening());
        final float negLr = (float) -c.lr();
        final boolean fma = c.fma();
        final float[] buf = s.momentumBuffer;
        for (int i = 0; i < len; i++) {
            float pi = p[pOff + i];
            float d = g[gOff + i];
            if (decay) d = fma ? Math.fma(wd, pi, d) : d + wd * pi;
            if (momentum) {
                float b = first ? d : (fma ? Math.fma(oneMinusDampening, d, buf[i] * mu) : buf[i] * mu + oneMinusDampening * d);
                buf[i] = b;
                d = c.nesterov() ? (fma ? Math.fma(mu, b, d) : d + mu * b) : b;
            }
            p[pOff + i] = fma ? Math.fma(negLr, d, pi) : pi + negLr * d;
        }
    }
}
