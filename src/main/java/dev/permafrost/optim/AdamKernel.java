package dev.permafrost.optim;

/**
 * Adam and AdamW with torch.optim's single-tensor arithmetic, element by element (see shared/golden/README.md):
 * scalars computed in double then rounded to the element type; {@code add_(x, alpha)} and {@code addcmul_} fused
 * when {@code fma} is on, as PyTorch's AVX2 CPU kernels do; the final {@code addcdiv_} never fused.
 */
public final class AdamKernel implements OptimizerKernel {
    private final OptimizerConfig.Adam c;

    public AdamKernel(OptimizerConfig.Adam config) {
        this.c = config;
    }

    @Override
    public ShardState newState(int length) {
        return new AdamState(length);
    }

    @Override
    public void step(float[] p, int pOff, float[] g, int gOff, int len, ShardState state) {
        AdamState s = (AdamState) state;
        if (s.length() != len) throw new IllegalArgumentException("state covers " + s.length() + " elements, step got " + len);
        long t = ++s.step;
        stepFloat(p, pOff, g, gOff, s.expAvg, s.expAvgSq, 0, len, t, c);
    }

    /** One float32 step over a range; m and v are indexed from {@code sOff}. */
    public static void stepFloat(float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int sOff, int len,
                                 long t, OptimizerConfig.Adam c) {
        final float beta1 = (float) c.beta1();
        final float beta2 = (float) c.beta2();
        final float oneMinusBeta1 = (float) (1 - c.beta1());
        final float oneMinusBeta2 = (float) (1 - c.beta2());
        final float wd = (float) c.weightDecay();
        final boolean coupled = !c.decoupled() && c.weightDecay() != 0;
        final boolean decoupled = c.decoupled();
        final float decay = (float) (1 - c.lr() * c.weightDecay());
        final double bias1 = 1 - ExactScalars.pow(c.beta1(), t);
        final double bias2 = 1 - ExactScalars.pow(c.beta2(), t);
        final float negStepSize = (float) -(c.lr() / bias1);
        final float bias2Sqrt = (float) Math.sqrt(bias2);
        final float eps = (float) c.eps();
        if (c.fma()) {
            for (int i = 0; i < len; i++) {
                float pi = p[pOff + i];
                float gi = g[gOff + i];
                if (coupled) gi = Math.fma(wd, pi, gi);
                if (decoupled) pi = pi * decay;
                float mi = Math.fma(oneMinusBeta1, gi, m[sOff + i] * beta1);
                float vi = Math.fma(oneMinusBeta2 * gi, gi, v[sOff + i] * beta2);
                float denom = (float) Math.sqrt(vi) / bias2Sqrt + eps;
                p[pOff + i] = pi + (negStepSize * mi) / denom;
                m[sOff + i] = mi;
                v[sOff + i] = vi;
            }
        } else {
            for (int i = 0; i < len; i++) {
                float pi = p[pOff + i];
                float gi = g[gOff + i];
                if (coupled) gi = gi + wd * pi;
                if (decoupled) pi = pi * decay;
                float mi = m[sOff + i] * beta1 + oneMinusBeta1 * gi;
                float vi = v[sOff + i] * beta2 + (oneMinusBeta2 * gi) * gi;
                float denom = (float) Math.sqrt(vi) / bias2Sqrt + eps;
                p[pOff + i] = pi + (negStepSize * mi) / denom;
                m[sOff + i] = mi;
                v[sOff + i] = vi;
            }
        }
    }

    /** The same step in float64, for references recorded in double precision. */
    public static void stepDouble(double[] p, double[] g, double[] m, double[] v, long t, OptimizerConfig.Adam c) {
        final double beta1 = c.beta1();
        final double beta2 = c.beta2();
        final double oneMinusBeta1 = 1 - c.beta1();
        final double oneMinusBeta2 = 1 - c.beta2();
        final double wd = c.weightDecay();
        final boolean coupled = !c.decoupled() && c.weightDecay() != 0;
        final boolean decoupled = c.decoupled();
        final double decay = 1 - c.lr() * c.weightDecay();
        final double negStepSize = -(c.lr() / (1 - ExactScalars.pow(c.beta1(), t)));
        final double bias2Sqrt = Math.sqrt(1 - ExactScalars.pow(c.beta2(), t));
        final double eps = c.eps();
        for (int i = 0; i < p.length; i++) {
            double pi = p[i];
            double gi = g[i];
            double mi;
            double vi;
            if (c.fma()) {
                if (coupled) gi = Math.fma(wd, pi, gi);
                if (decoupled) pi = pi * decay;
                mi = Math.fma(oneMinusBeta1, gi, m[i] * beta1);
                vi = Math.fma(oneMinusBeta2 * gi, gi, v[i] * beta2);
            } else {
                if (coupled) gi = gi + wd * pi;
                if (decoupled) pi = pi * decay;
                mi = m[i] * beta1 + oneMinusBeta1 * gi;
                vi = v[i] * beta2 + (oneMinusBeta2 * gi) * gi;
            }
            double denom = Math.sqrt(vi) / bias2Sqrt + eps;
            p[i] = pi + (negStepSize * mi) / denom;
            m[i] = mi;
            v[i] = vi;
        }
    }
}
