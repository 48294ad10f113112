package dev.permafrost.model;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The demo network for Fashion-MNIST: a {@code pretrained} block (Dense 784→256, BatchNorm, Dense 256→128) and a
 * {@code head}. Layer names are chosen so freeze patterns read naturally: {@code pretrained.*}, {@code head.*}.
 */
public final class FashionMlp {
    public static final String FC1 = "pretrained.fc1";
    public static final String BN = "pretrained.bn";
    public static final String FC2 = "pretrained.fc2";
    public static final String HEAD = "head";

    private FashionMlp() {
    }

    public static MultiLayerNetwork build(int classes, long seed) {
        return ModelSpec.fashion(classes).build(seed);
    }
}
