package dev.permafrost.optim;

import java.util.Locale;

/** Hyper-parameters of one optimizer, with torch.optim's meaning and defaults. */
public sealed interface OptimizerConfig {

    double lr();

    /** Whether the kernels fuse multiply-adds as PyTorch's AVX2 CPU kernels do (the default) or round every op. */
    boolean fma();

    OptimizerKernel kernel();

    String describe();

    /** Adam (coupled L2 weight decay) or AdamW (decoupled weight decay). */
    record Adam(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled, boolean fma)
            implements OptimizerConfig {
        public Adam {
            require(lr > 0 && Double.isFinite(lr), "lr", lr, "a finite number > 0");
            require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "in [0, 1)");
            require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "in [0, 1)");
            require(eps > 0 && Double.isFinite(eps), "eps", eps, "a finite number > 0");
            require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight_decay", weightDecay, "a finite number >= 0");
        }

        public static Adam adam(double lr) {
            return new Adam(lr, 0.9, 0.999, 1e-8, 0, false, true);
        }

        public static Adam adamW(double lr, double weightDecay) {
            return new Adam(lr, 0.9, 0.999, 1e-8, weightDecay, true, true);
        }

        @Override
        public OptimizerKernel kernel() {
            return new AdamKernel(this);
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "%s(lr=%s, betas=(%s, %s), eps=%s, weight_decay=%s%s)",
                    decoupled ? "AdamW" : "Adam", lr, beta1, beta2, eps, weightDecay, fma ? "" : ", no-fma");
        }
    }

    /** SGD with optional momentum, dampening, Nesterov and coupled weight decay (torch.optim.SGD). */
    record Sgd(double lr, double momentum, double dampening, double weightDecay, boolean nesterov, boolean fma)
            implements OptimizerConfig {
        public Sgd {
            require(lr > 0 && Double.isFinite(lr), "lr", lr, "a finite number > 0");
            require(momentum >= 0 && Double.isFinite(momentum), "momentum", momentum, "a finite number >= 0");
            require(dampening >= 0 && dampening <= 1, "dampening", dampening, "in [0, 1]");
            require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight_decay", weightDecay, "a finite number >= 0");
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and dampening = 0");
            }
        }

        public static Sgd momentum(double lr, double momentum) {
            return new Sgd(lr, momentum, 0, 0, false, true);
        }

        @Override
        public OptimizerKernel kernel() {
            return new SgdKernel(this);
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "SGD(lr=%s, momentum=%s, dampening=%s, weight_decay=%s, nesterov=%s%s)",
                    lr, momentum, dampening, weightDecay, nesterov, fma ? "" : ", no-fma");
        }
    }

    private static void require(boolean ok, String name, double value, String expected) {
        if (!ok) throw new IllegalArgumentException("optimizer setting " + name + " = " + value + " must be " + expected);
    }
}
