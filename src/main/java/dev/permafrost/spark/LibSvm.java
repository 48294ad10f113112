package dev.permafrost.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

/**
 * The LibSVM text format: {@code label index:value index:value ...} per line, indices 1-based and ascending, absent
 * features 0. Spark's own reader lives in spark-mllib, which this build cannot fetch; the format is small enough to
 * read here, through the same row checks as every other source.
 */
final class LibSvm {
    private LibSvm() {
    }

    static JavaRDD<DatasetInput.Checked> read(SparkSession spark, DatasetInput.Spec spec) {
        return spark.read().textFile(spec.path()).javaRDD().zipWithIndex()
                .filter(t -> !t._1().isBlank() && !t._1().startsWith("#"))
                .map(t -> parse(t._1(), t._2(), spec));
    }

    static DatasetInput.Checked parse(String line, long lineIndex, DatasetInput.Spec spec) {
        String where = "line " + (lineIndex + 1);
        String[] parts = line.strip().split("\\s+");
        double label;
        try {
            label = Double.parseDouble(parts[0]);
        } catch (NumberFormatException e) {
            return new DatasetInput.Checked(lineIndex, null, 0, where + ": label '" + parts[0] + "' is not a number");
        }
        if (label != Math.rint(label) || label < 0 || label >= spec.classes()) {
            return new DatasetInput.Checked(lineIndex, null, 0, where + ": label " + label + " is not a class index in 0.."
                    + (spec.classes() - 1) + " (the model's output layer has " + spec.classes() + " classes)");
        }
        float[] x = new float[spec.width()];
        int previous = 0;
        for (int i = 1; i < parts.length; i++) {
            int colon = parts[i].indexOf(':');
            int index;
            float value;
            try {
                index = Integer.parseInt(parts[i].substring(0, colon));
                value = Float.parseFloat(parts[i].substring(colon + 1));
            } catch (RuntimeException e) {
                return new DatasetInput.Checked(lineIndex, null, 0, where + ": '" + parts[i] + "' is not index:value");
            }
            if (index <= previous) {
                return new DatasetInput.Checked(lineIndex, null, 0, where + ": feature index " + index + " after " + previous
                        + "; LibSVM indices are 1-based and ascending");
            }
            if (index > spec.width()) {
                return new DatasetInput.Checked(lineIndex, null, 0, where + " has feature index " + index + "; the model expects "
                        + spec.width() + " features");
            }
            if (!Float.isFinite(value)) return new DatasetInput.Checked(lineIndex, null, 0, where + ": feature " + index + " is " + value);
            x[index - 1] = value;
            previous = index;
        }
        return new DatasetInput.Checked(lineIndex, x, (int) label, null);
    }
}
