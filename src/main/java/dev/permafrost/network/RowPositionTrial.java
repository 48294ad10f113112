package dev.permafrost.network;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The row-position trial: whether the frozen prefix gives a row the same output bits wherever it sits in its batch. */
final class RowPositionTrial {
    private RowPositionTrial() {
    }

    /**
     * Whether a row's output bits are the same wherever the row sits in its batch, tried on the driver with {@code rows}
     * random rows (the executors' chunk size) in three orders: as drawn, reversed, rotated by one. Measured on ND4J's
     * CPU backend: a convolution's output is not (a row's values can differ in the last bit with its position), so
     * training on cached outputs then matches training on the rows to within float rounding, not bit for bit. A trial,
     * not a proof: the executors' CPUs may differ from the driver's.
     */
    static boolean rowIndependent(FrozenPrefix.Featurizer featurizer, int width, int rows) {
        // Java's generator, not ND4J's: the trial must not move the random state training draws from.
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] values = new float[rows * width];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextDouble();
        INDArray drawn = Nd4j.create(values, new long[]{rows, width}, 'c');
        INDArray reference = featurizer.features(drawn).dup('c');
        int[] reversed = new int[rows];
        int[] rotated = new int[rows];
        for (int i = 0; i < rows; i++) {
            reversed[i] = rows - 1 - i;
            rotated[i] = (i + 1) % rows;
        }
        for (int[] order : new int[][]{reversed, rotated}) {
            INDArray other = featurizer.features(drawn.getRows(order)).dup('c');
            for (int i = 0; i < rows; i++) {
                float[] a = reference.getRow(order[i]).dup().data().asFloat();
                float[] b = other.getRow(i).dup().data().asFloat();
                if (!dev.permafrost.shard.RawBits.identical(a, b)) return false;
            }
        }
        return true;
    }
}
