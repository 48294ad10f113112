package dev.permafrost.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A feed-forward network described in a job file: named layers (so freeze patterns read naturally, e.g.
 * {@code pretrained.*} and {@code head.*}) over a flat input. The last layer must be the output layer.
 */
public record ModelSpec(int inputs, List<LayerSpec> layers) {

    /** One layer: {@code type} is dense, batchnorm, dropout or output. */
    public record LayerSpec(String name, String type, int out, String activation, double dropout) {
    }

    public ModelSpec {
        layers = List.copyOf(layers);
        if (inputs < 1) throw new IllegalArgumentException("model.inputs must be >= 1, got " + inputs);
        if (layers.isEmpty() || !layers.get(layers.size() - 1).type().equals("output")) {
            throw new IllegalArgumentException("model.layers must end with a layer of type 'output'");
        }
    }

    /** The demo network for Fashion-MNIST with {@code classes} outputs. */
    public static ModelSpec fashion(int classes) {
        return new ModelSpec(784, List.of(
                new LayerSpec(FashionMlp.FC1, "dense", 256, "identity", 0),
                new LayerSpec(FashionMlp.BN, "batchnorm", 256, "relu", 0),
                new LayerSpec(FashionMlp.FC2, "dense", 128, "relu", 0),
                new LayerSpec(FashionMlp.HEAD, "output", classes, "softmax", 0)));
    }

    public int classes() {
        return layers.get(layers.size() - 1).out();
    }

    public MultiLayerNetwork build(long seed) {
        return build(seed, new NoOp());
    }

    /** With DL4J's own updater, for comparing against plain DL4J training; Permafrost's jobs use {@link #build(long)}. */
    public MultiLayerNetwork build(long seed, org.nd4j.linalg.learning.config.IUpdater updater) {
        var list = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).weightInit(WeightInit.RELU)
                .updater(updater).list();
        int in = inputs;
        for (LayerSpec l : layers) {
            Activation act = activation(l);
            switch (l.type()) {
                case "dense" -> {
                    list.layer(new DenseLayer.Builder().name(l.name()).nIn(in).nOut(l.out()).activation(act).dropOut(keep(l)).build());
                    in = l.out();
                }
                case "batchnorm" -> list.layer(new BatchNormalization.Builder().name(l.name()).nOut(in).activation(act).build());
                case "dropout" -> list.layer(new DropoutLayer.Builder(keep(l)).name(l.name()).build());
                case "output" -> {
                    if (l.out() < 2) throw new IllegalArgumentException("output layer '" + l.name() + "' needs out >= 2 classes");
                    list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name(l.name()).nIn(in).nOut(l.out())
                            .weightInit(WeightInit.XAVIER).activation(act).build());
                    in = l.out();
                }
                default -> throw new IllegalArgumentException("layer '" + l.name() + "' has type '" + l.type()
                        + "'; choose one of dense, batchnorm, dropout, output");
            }
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.setInputType(InputType.feedForward(inputs)).build());
        net.init();
        return net;
    }

    /** DL4J's dropOut takes the probability of keeping a unit; job files say the probability of dropping it. */
    private static double keep(LayerSpec l) {
        if (l.dropout() < 0 || l.dropout() >= 1) throw new IllegalArgumentException("layer '" + l.name() + "': dropout must be in [0, 1)");
        return l.dropout() == 0 ? 0 : 1 - l.dropout();
    }

    private static Activation activation(LayerSpec l) {
        try {
            return Activation.valueOf(l.activation().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer '" + l.name() + "' has activation '" + l.activation() + "'; choose one of "
                    + Arrays.stream(Activation.values()).map(a -> a.name().toLowerCase(Locale.ROOT)).toList());
        }
    }
}
