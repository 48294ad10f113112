package dev.permafrost.optim;

import java.math.BigDecimal;

/** Host-side scalars computed as Python does them, so the kernels see the same rounded values. */
final class ExactScalars {
    private ExactScalars() {
    }

    /**
     * {@code base ** t} correctly rounded, as CPython's float pow (glibc) gives it; Math.pow may be 1 ulp off,
     * which moves the bias correction and so every float64 parameter.
     */
    static double pow(double base, long t) {
        if (t < 0) throw new IllegalArgumentException("negative step " + t);
        if (t > 10_000) return Math.pow(base, t); // far past where the last bit can matter for bias corrections
        return new BigDecimal(base).pow((int) t).doubleValue();
    }
}
