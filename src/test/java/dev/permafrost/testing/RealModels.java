package dev.permafrost.testing;

import dev.permafrost.model.ModelSpec;
import dev.permafrost.model.ModelSpec.LayerSpec;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

/** The convolutional network and the residual graph the tests train: small, for 28x28 Fashion-MNIST images. */
public final class RealModels {
    private RealModels() {
    }

    /**
     * A small CNN as a job file describes it: a {@code backbone} of two convolution blocks with per-channel BatchNorm
     * and, when {@code dropout}, a dropout layer between them; a dense {@code head}.
     */
    public static ModelSpec cnn(int classes, boolean dropout) {
        var layers = new java.util.ArrayList<>(List.of(
                LayerSpec.convolution("backbone.conv1", 8, 3, 1, 1, "identity"),
                new LayerSpec("backbone.bn1", "batchnorm", 0, "relu", 0),
                LayerSpec.subsampling("backbone.pool1", "max", 2, 2)));
        if (dropout) layers.add(new LayerSpec("backbone.drop", "dropout", 0, "identity", 0.25));
        layers.addAll(List.of(
                LayerSpec.convolution("backbone.conv2", 16, 3, 1, 1, "identity"),
                new LayerSpec("backbone.bn2", "batchnorm", 0, "relu", 0),
                LayerSpec.subsampling("backbone.pool2", "max", 2, 2),
                new LayerSpec("head.fc", "dense", 32, "relu", 0),
                new LayerSpec("head.out", "output", classes, "softmax", 0)));
        return new ModelSpec(784, List.of(1, 28, 28), layers);
    }

    /**
     * A residual network built with plain DL4J, as a user or DL4J's zoo builds one: it reads [1, 28, 28] images (no
     * flat input), a {@code stem} (convolution, BatchNorm, pooling), one residual {@code block1} (two convolutions with
     * BatchNorm and dropout between them, added to the block's input, then ReLU and pooling) and a dense {@code head}. Vertex names
     * carry the block, so freeze patterns select whole blocks.
     */
    public static ComputationGraph residual(int classes, long seed) {
        return residual(classes, seed, 0.25);
    }

    /** The same with another probability of dropping in the block ({@code 0}: an identity layer in its place). */
    public static ComputationGraph residual(int classes, long seed, double dropout) {
        return residual(classes, seed, dropout, true);
    }

    /** The same, with the dense layer of the head left out when {@code !denseHead}: the output layer reads the block. */
    public static ComputationGraph residual(int classes, long seed, double dropout, boolean denseHead) {
        var builder = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU).updater(new Adam(1e-3)).graphBuilder()
                .addInputs("image")
                .addLayer("stem.conv", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(8).activation(Activation.IDENTITY).build(), "image")
                .addLayer("stem.bn", new BatchNormalization.Builder().activation(Activation.RELU).build(), "stem.conv")
                .addLayer("stem.pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "stem.bn")
                .addLayer("block1.conv1", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(8).activation(Activation.IDENTITY).build(), "stem.pool")
                .addLayer("block1.bn1", new BatchNormalization.Builder().activation(Activation.RELU).build(), "block1.conv1")
                .addLayer("block1.drop", dropout == 0 ? new ActivationLayer.Builder().activation(Activation.IDENTITY).build()
                        : new DropoutLayer.Builder(1 - dropout).build(), "block1.bn1")
                .addLayer("block1.conv2", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(8).activation(Activation.IDENTITY).build(), "block1.drop")
                .addLayer("block1.bn2", new BatchNormalization.Builder().activation(Activation.IDENTITY).build(), "block1.conv2")
                .addVertex("block1.add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "stem.pool", "block1.bn2")
                .addLayer("block1.relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "block1.add")
                .addLayer("block1.pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "block1.relu");
        if (denseHead) builder.addLayer("head.fc", new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build(), "block1.pool");
        ComputationGraphConfiguration conf = builder
                .addLayer("head.out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes).weightInit(WeightInit.XAVIER)
                        .activation(Activation.SOFTMAX).build(), denseHead ? "head.fc" : "block1.pool")
                .setOutputs("head.out")
                .setInputTypes(InputType.convolutional(28, 28, 1))
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }
}
