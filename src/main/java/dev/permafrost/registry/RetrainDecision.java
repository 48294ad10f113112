package dev.permafrost.registry;

import java.util.Locale;

/**
 * Whether a retrained model replaces the current one: it does unless its held-out metric is worse than the current
 * model's by more than {@code tolerance} (higher is better). The reason states the numbers the rule compared.
 */
public record RetrainDecision(Outcome outcome, String metric, double current, double candidate, double tolerance, String reason) {
    public enum Outcome { PUBLISH, KEEP }

    public static RetrainDecision decide(String metric, double current, double candidate, double tolerance) {
        if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
            throw new IllegalArgumentException("retrain.tolerance = " + tolerance + "; give a finite number >= 0, e.g. 0.005");
        }
        if (!Double.isFinite(current) || !Double.isFinite(candidate)) {
            throw new IllegalArgumentException(metric + " is not a number (current " + current + ", candidate " + candidate + ")");
        }
        double drop = current - candidate;
        if (drop > tolerance) {
            return new RetrainDecision(Outcome.KEEP, metric, current, candidate, tolerance, String.format(Locale.ROOT,
                    "the retrained model's %s %.4f is %.4f below the current model's %.4f, more than the tolerance %.4f",
                    metric, candidate, drop, current, tolerance));
        }
        return new RetrainDecision(Outcome.PUBLISH, metric, current, candidate, tolerance, String.format(Locale.ROOT,
                drop > 0 ? "the retrained model's %s %.4f is within the tolerance %.4f of the current model's %.4f"
                        : "the retrained model's %s %.4f is at least the current model's %.4f",
                drop > 0 ? new Object[]{metric, candidate, tolerance, current} : new Object[]{metric, candidate, current}));
    }
}
