package dev.permafrost.network;

import dev.permafrost.data.LabeledData;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A network's predictions and classification accuracy on held-out data, in inference mode. */
public final class Evaluation {
    private Evaluation() {
    }

    public static double accuracy(Network network, LabeledData data) {
        int[] predicted = predictions(network, data);
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) if (predicted[i] == data.labels()[i]) correct++;
        return correct / (double) Math.max(1, data.size());
    }

    /** The class the network gives each row (the largest output), in row order. */
    public static int[] predictions(Network network, LabeledData data) {
        if (network.outputs() != data.classes()) {
            throw new IllegalArgumentException("the network predicts " + network.outputs() + " classes, the data has " + data.classes());
        }
        int[] rows = new int[data.size()];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        int[] predicted = new int[rows.length];
        for (int from = 0; from < rows.length; from += 1000) {
            int to = Math.min(rows.length, from + 1000);
            INDArray classes = network.output(data.batch(rows, from, to).getFeatures()).argMax(1);
            for (int i = from; i < to; i++) predicted[i] = classes.getInt(i - from);
        }
        return predicted;
    }
}
