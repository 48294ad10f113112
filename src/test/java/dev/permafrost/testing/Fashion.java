package dev.permafrost.testing;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;

import java.util.HashMap;
import java.util.Map;

/** Real Fashion-MNIST for tests, read once per JVM (Debian's dataset-fashion-mnist; .ci/run installs it). */
public final class Fashion {
    private static final Map<String, LabeledData> CACHE = new HashMap<>();

    private Fashion() {
    }

    public static synchronized LabeledData train(FashionMnist.ClassRange classes) {
        return CACHE.computeIfAbsent("train" + classes, k -> FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN, classes));
    }

    public static synchronized LabeledData test(FashionMnist.ClassRange classes) {
        return CACHE.computeIfAbsent("test" + classes, k -> FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST, classes));
    }

    public static LabeledData train(int rows) {
        return train(FashionMnist.ClassRange.ALL).head(rows);
    }
}
