package dev.permafrost.bench;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** The fine-tuning rows (Fashion-MNIST classes 5-9) and their minibatches. */
final class FineTuneRows {
    static final int FIRST_CLASS = 5;

    private FineTuneRows() {
    }

    /**
     * Rows of classes 5-9. With a 10-wide output the labels stay 5-9 (as the anchor's own 10-class network expects);
     * with 5 they are numbered 0-4, as {@link FashionMnist#load(Path, FashionMnist.Split, FashionMnist.ClassRange)} does.
     */
    static LabeledData load(Path idx, FashionMnist.Split split, int classes) {
        if (classes == 5) return FashionMnist.load(idx, split, new FashionMnist.ClassRange(FIRST_CLASS, 9));
        LabeledData all = FashionMnist.load(idx, split);
        int kept = 0;
        for (int label : all.labels()) if (label >= FIRST_CLASS) kept++;
        float[] x = new float[kept * all.width()];
        int[] y = new int[kept];
        int k = 0;
        for (int r = 0; r < all.size(); r++) {
            if (all.labels()[r] < FIRST_CLASS) continue;
            System.arraycopy(all.features(), r * all.width(), x, k * all.width(), all.width());
            y[k++] = all.labels()[r];
        }
        return new LabeledData(x, y, all.width(), all.classes());
    }

    /** Every row once, shuffled with {@code seed}, in minibatches of {@code size} (the last one may be smaller). */
    static List<DataSet> shuffledBatches(LabeledData data, int size, long seed) {
        int[] order = new int[data.size()];
        Arrays.setAll(order, i -> i);
        Random rng = new Random(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return batches(data, order, size);
    }

    /** The rows in their stored order, in minibatches of {@code size}: for evaluation. */
    static List<DataSet> batches(LabeledData data, int size) {
        int[] order = new int[data.size()];
        Arrays.setAll(order, i -> i);
        return batches(data, order, size);
    }

    private static List<DataSet> batches(LabeledData data, int[] order, int size) {
        List<DataSet> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += size) out.add(data.batch(order, from, Math.min(from + size, order.length)));
        return out;
    }
}
