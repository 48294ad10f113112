package dev.permafrost.optim;

import java.math.BigDecimal;
import java.math.MathContext;

/** Host-side scalars computed as Python does them, so the kernels see the same rounded values. */
final class ExactScalars {
    /** 60 significant digits: the double nearest the true power is found unless it lies within 1e-60 of a tie. */
    private static final MathContext PRECISION = new MathContext(60);

    private ExactScalars() {
    }

    /**
     * {@code base ** t} correctly rounded, as CPython's float pow (glibc) gives it; Math.pow may be 1 ulp off,
     * which moves the bias correction and so every float64 parameter.
     */
    static double pow(double base, long t) {
        if (t < 0) throw new IllegalArgumentException("negative step " + t);
        if (t > 999_999_999) return Math.pow(base, t);
        return new BigDecimal(base).pow((int) t, PRECISION).doubleValue();
    }
}
