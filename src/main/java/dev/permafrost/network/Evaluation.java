package dev.permafrost.network;

import dev.permafrost.data.LabeledData;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Classification accuracy of a network on held-out data, in inference mode. */
public final class Evaluation {
    private Evaluation() {
    }

    public static double accuracy(Network network, LabeledData data) {
        if (network.outputs() != data.classes()) {
            throw new IllegalArgumentException("the network predicts " + network.outputs() + " classes, the data has " + data.classes());
        }
        int[] rows = new int[data.size()];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        int correct = 0;
        for (int from = 0; from < rows.length; from += 1000) {
            int to = Math.min(rows.length, from + 1000);
            INDArray out = network.output(data.batch(rows, from, to).getFeatures());
            INDArray predicted = out.argMax(1);
            for (int i = from; i < to; i++) {
                if (predicted.getInt(i - from) == data.labels()[i]) correct++;
            }
        }
        return correct / (double) Math.max(1, data.size());
    }
}
