package dev.permafrost.network;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.ParamTable;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A DL4J network as training sees it: a flat parameter vector with names, a gradient for a minibatch, and a
 * rebuild under new freeze labels. Nothing here applies an update: that is the parameter server's job.
 */
public interface Network {

    ParamTable params();

    /** A copy of the flat parameter vector. */
    float[] paramsCopy();

    /**
     * The flat parameter vector without a copy, read-only, valid until the next write: what fingerprinting the frozen
     * copies on every step reads.
     */
    java.nio.FloatBuffer paramsView();

    /**
     * Overwrites the {@code length} parameters from {@code offset} with {@code source[from, from + length)}: the only
     * way values enter the network.
     */
    void writeRange(int offset, float[] source, int from, int length);

    /**
     * The same from {@code source}'s position on, which moves past the values: how an answer's values go from the
     * received message into the parameters with one copy.
     */
    void writeRange(int offset, java.nio.FloatBuffer source, int length);

    Gradients gradient(DataSet batch);

    /** Inference-mode output for the features. */
    INDArray output(INDArray features);

    /**
     * The same architecture with these parameters, fully frozen layers running in inference mode (no dropout,
     * BatchNorm on its running statistics). Built from the unwrapped configuration, so freezing can be undone.
     */
    Network rebuild(ParamLabels labels, float[] flat);

    /** The DL4J model, for saving. */
    Model model();

    /** Number of classes the model predicts: the width of its {@link #head()}. */
    int outputs();

    /** The layer whose width is the number of classes, and what stands between it and the loss. */
    Head head();

    /** Width of the input the network expects. */
    int inputs();

    /**
     * The same network with a new {@link #head()} of {@code classes} units (fresh weights, same name): how a pretrained
     * model gets a head for a new task. Every other parameter is kept bit for bit. Under a parameter-free loss layer the
     * head is the last layer with parameters (a convolution before global pooling, say).
     */
    Network replaceHead(int classes, long seed);
}
