package dev.permafrost.spark;

import dev.permafrost.data.RowChecks;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

/**
 * The LibSVM text format: {@code label index:value index:value ...} per line, indices 1-based and ascending, absent
 * features 0. Spark's own reader lives in spark-mllib, which this build cannot fetch; the format is small enough to
 * read here; its rows pass the same {@link dev.permafrost.data.RowChecks} as every other source's.
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
            return DatasetInput.Checked.bad(lineIndex, where + ": label '" + parts[0] + "' is not a number");
        }
        var badLabel = RowChecks.label(label, spec.classes());
        if (badLabel.isPresent()) return DatasetInput.Checked.bad(lineIndex, where + ": " + badLabel.get());
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
                return DatasetInput.Checked.bad(lineIndex, where + ": '" + parts[i] + "' is not index:value");
            }
            if (index <= previous) {
                return DatasetInput.Checked.bad(lineIndex, where + ": feature index " + index + " after " + previous
                        + "; LibSVM indices are 1-based and ascending");
            }
            if (index > spec.width()) {
                return DatasetInput.Checked.bad(lineIndex, where + " has feature index " + index + "; the model expects "
                        + spec.width() + " features");
            }
            // Checked here too, so the message names the 1-based index the line holds.
            if (!Float.isFinite(value)) return DatasetInput.Checked.bad(lineIndex, where + ": feature " + index + " is " + value);
            x[index - 1] = value;
            previous = index;
        }
        return DatasetInput.Checked.of(lineIndex, where, label, x, spec);
    }
}
