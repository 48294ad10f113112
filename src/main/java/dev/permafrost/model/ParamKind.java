package dev.permafrost.model;

/** What a parameter is for: decides which update rule may touch it when it is trainable. */
public enum ParamKind {
    WEIGHT,
    BIAS,
    NORM_SCALE,
    NORM_SHIFT,
    /**
     * A running statistic (BatchNorm mean, variance or log10 stdev). DL4J reports its "gradient" as the
     * update itself (old - new), so it follows DL4J's rule and never an optimizer.
     */
    NORM_STATISTIC,
    OTHER;

    public boolean isStatistic() {
        return this == NORM_STATISTIC;
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
