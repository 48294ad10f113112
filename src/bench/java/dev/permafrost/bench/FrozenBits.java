package dev.permafrost.bench;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/** The raw bits of the frozen layers' parameters, to tell whether training moved any of them. */
final class FrozenBits {
    private final int[][] bits;

    private FrozenBits(int[][] bits) {
        this.bits = bits;
    }

    /** Layers {@code 0..lastFrozen} of {@code net}, copied. */
    static FrozenBits of(MultiLayerNetwork net, int lastFrozen) {
        int[][] bits = new int[lastFrozen + 1][];
        for (int i = 0; i <= lastFrozen; i++) {
            INDArray p = net.getLayer(i).params();
            float[] values = p == null ? new float[0] : p.dup().data().asFloat();
            bits[i] = new int[values.length];
            // Raw bits, not float equality: -0.0 vs 0.0 or a changed NaN payload would be a change too.
            for (int j = 0; j < values.length; j++) bits[i][j] = Float.floatToRawIntBits(values[j]);
        }
        return new FrozenBits(bits);
    }

    boolean identical(FrozenBits after) {
        return Arrays.deepEquals(bits, after.bits);
    }

    long elements() {
        return Arrays.stream(bits).mapToLong(b -> b.length).sum();
    }
}
