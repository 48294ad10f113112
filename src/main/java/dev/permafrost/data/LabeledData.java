package dev.permafrost.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Examples held in memory: features row-major ({@code size × width}) and class indices in {@code [0, classes)}.
 */
public record LabeledData(float[] features, int[] labels, int width, int classes) {

    public LabeledData {
        if (width <= 0) throw new IllegalArgumentException("feature width must be > 0, got " + width);
        if (features.length != (long) labels.length * width) {
            throw new IllegalArgumentException(features.length + " feature values do not make " + labels.length + " rows of width " + width);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("row " + i + " has label " + labels[i] + ", outside [0, " + classes + ")");
            }
        }
    }

    public int size() {
        return labels.length;
    }

    /** The first {@code rows} rows (all if fewer): for quick runs and tests. */
    public LabeledData head(int rows) {
        int m = Math.min(rows, size());
        return new LabeledData(Arrays.copyOf(features, m * width), Arrays.copyOf(labels, m), width, classes);
    }

    /** A minibatch of the given rows: features {@code [n, width]}, one-hot labels {@code [n, classes]}. */
    public DataSet batch(int[] rows, int from, int to) {
        int n = to - from;
        float[] x = new float[n * width];
        float[] y = new float[n * classes];
        for (int i = 0; i < n; i++) {
            int r = rows[from + i];
            System.arraycopy(features, r * width, x, i * width, width);
            y[i * classes + labels[r]] = 1f;
        }
        INDArray f = Nd4j.create(x, new long[]{n, width}, 'c');
        INDArray l = Nd4j.create(y, new long[]{n, classes}, 'c');
        return new DataSet(f, l);
    }
}
