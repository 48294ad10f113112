package dev.permafrost.data;

import java.util.Optional;

/**
 * The checks every input row passes, whatever its source (Parquet, CSV, LibSVM, an ML Vector column): a label that
 * is a class index of the model's output layer, the model's input width, and finite features. Each returns the
 * problem in words, for a message that names the row, or empty when the row passes.
 */
public final class RowChecks {
    private RowChecks() {
    }

    /** A label must be a whole number in {@code [0, classes)}. */
    public static Optional<String> label(double value, int classes) {
        if (value == Math.rint(value) && value >= 0 && value < classes) return Optional.empty();
        return Optional.of("label " + value + " is not a class index in 0.." + (classes - 1) + " (the model's head predicts "
                + classes + " classes; model.replace-head-classes gives it a head for another number)");
    }

    /** Features must be as many as the model's inputs, and every one finite. */
    public static Optional<String> features(float[] values, int width) {
        if (values.length != width) return Optional.of("it has " + values.length + " features; the model expects " + width);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) return Optional.of("feature " + i + " is " + values[i]);
        }
        return Optional.empty();
    }

    /** The problem with a whole row: its label first, then its features. */
    public static Optional<String> row(double label, int classes, float[] features, int width) {
        return label(label, classes).or(() -> features(features, width));
    }
}
