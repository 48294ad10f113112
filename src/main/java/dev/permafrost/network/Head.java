package dev.permafrost.network;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import dev.permafrost.model.NetworkParams;

import java.util.ArrayList;
import java.util.List;

/**
 * A classifier's head: the layer whose width is the number of classes. That is the output layer when it has
 * parameters (an {@code OutputLayer}); below a parameter-free loss ({@code LossLayer}, often after an activation and a
 * global pooling, as DL4J's zoo builds SqueezeNet and Darknet19) it is the last layer with parameters. Found from the
 * configuration, so a model without a loss to train on is refused when it is loaded, naming its last layer.
 *
 * @param layer   the head's layer name (a graph's vertex name, or a MultiLayerNetwork layer's name or index)
 * @param index   the head's layer index in a MultiLayerNetwork; -1 in a graph
 * @param classes its width: the number of classes the model predicts
 * @param output  the output (loss) layer's name
 * @param between the parameter-free layers and vertices from the head up to the output, in that order
 * @param kind    the head's layer type
 */
public record Head(String layer, int index, long classes, String output, List<String> between, String kind) {

    public Head {
        between = List.copyOf(between);
    }

    /** What a log line says: the head, and what stands between it and the loss. */
    public String describe() {
        return "layer " + layer + " (" + kind + ", " + classes + " classes)" + (between.isEmpty() ? "" : " under " + String.join(" -> ", between));
    }

    /**
     * Whether DL4J's {@code nOutReplace} can give this head another width: a dense, convolution or output layer; not a
     * BatchNormalization, whose width follows the layer below it.
     */
    public void requireReplaceable() {
        if (kind.equals(BatchNormalization.class.getSimpleName())) {
            throw new IllegalArgumentException("model.replace-head-classes cannot replace the head: the last layer with parameters below the loss "
                    + output + " is " + layer + " (" + kind + "), whose width DL4J cannot change on its own; give the model a dense or "
                    + "convolution layer as its head, or set model.replace-head-classes = 0 and train the classes it has");
        }
    }

    static Head of(MultiLayerNetwork net, MultiLayerConfiguration base) {
        int last = net.getnLayers() - 1;
        String outputName = NetworkParams.layerName(net.getLayer(last), last);
        requireLoss(FrozenLayers.unwrap(base.getConf(last).getLayer()), outputName);
        List<String> between = new ArrayList<>();
        int i = last;
        while (i >= 0 && net.getLayer(i).numParams() == 0) {
            between.add(0, NetworkParams.layerName(net.getLayer(i), i));
            i--;
        }
        if (i < 0) throw new IllegalArgumentException("the model has no layer with parameters below its output layer " + outputName + ": nothing to train");
        return head(NetworkParams.layerName(net.getLayer(i), i), i, FrozenLayers.unwrap(base.getConf(i).getLayer()), outputName, between);
    }

    static Head of(ComputationGraph graph, ComputationGraphConfiguration base) {
        String output = base.getNetworkOutputs().get(0);
        GraphVertex out = base.getVertices().get(output);
        requireLoss(out instanceof LayerVertex lv ? FrozenLayers.unwrap(lv.getLayerConf().getLayer()) : null, output);
        List<String> between = new ArrayList<>();
        String v = output;
        while (graph.getVertex(v).numParams() == 0) {
            between.add(0, v);
            List<String> inputs = base.getVertexInputs().get(v);
            if (inputs == null || inputs.size() != 1 || base.getNetworkInputs().contains(inputs.get(0))) {
                throw new IllegalArgumentException("below the loss " + output + " the graph reaches " + v + (inputs == null || inputs.size() == 1 ? ""
                        : ", which reads " + inputs) + " before any layer with parameters, so no single layer is its head: Permafrost trains "
                        + "classifiers whose loss sits on one layer with parameters (through parameter-free layers such as pooling and activations)");
            }
            v = inputs.get(0);
        }
        GraphVertex head = base.getVertices().get(v);
        Layer layer = head instanceof LayerVertex lv ? FrozenLayers.unwrap(lv.getLayerConf().getLayer()) : null;
        return head(v, -1, layer, output, between);
    }

    private static Head head(String name, int index, Layer layer, String output, List<String> between) {
        long classes = layer instanceof FeedForwardLayer ff ? ff.getNOut() : 0;
        if (classes < 1) {
            throw new IllegalArgumentException("the model's head " + name + " (" + (layer == null ? "a vertex" : layer.getClass().getSimpleName())
                    + ", the last layer with parameters below the loss " + output + ") has no width DL4J reports, so the number of classes is unknown");
        }
        return new Head(name, index, classes, output, between, layer.getClass().getSimpleName());
    }

    /** A model must end in a loss: an output layer, or a loss layer. */
    private static void requireLoss(Layer last, String name) {
        if (last instanceof BaseOutputLayer || last instanceof LossLayer || last instanceof org.deeplearning4j.nn.conf.layers.CnnLossLayer) return;
        throw new IllegalArgumentException("the model ends in " + name + " (" + (last == null ? "a vertex without a layer" : last.getClass().getSimpleName())
                + "), not an output or loss layer, so it has no loss to train: add an OutputLayer, or a LossLayer after it, on top "
                + "(DL4J's TransferLearning.Builder/GraphBuilder addLayer) and save the model again");
    }
}
