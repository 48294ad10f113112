package dev.permafrost.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

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
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                // Updates come from the parameter server; DL4J's own updater never runs.
                .updater(new NoOp())
                .list()
                .layer(new DenseLayer.Builder().name(FC1).nIn(784).nOut(256).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().name(BN).nOut(256).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name(FC2).nIn(256).nOut(128).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name(HEAD).nIn(128).nOut(classes)
                        .weightInit(WeightInit.XAVIER).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(784))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
