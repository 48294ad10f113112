package dev.permafrost.network;

import dev.permafrost.model.NetworkParams;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@link Network} over DL4J's MultiLayerNetwork and (single input, single output) ComputationGraph. */
public final class Dl4jNetworks {
    private Dl4jNetworks() {
    }

    /**
     * The network for training. Training is float32 end to end (parameter server, kernels, wire format), so a model
     * whose parameters are stored in another type is refused rather than rounded.
     *
     * @throws IllegalArgumentException if the parameters are not {@link DataType#FLOAT}
     */
    public static Network of(MultiLayerNetwork net) {
        requireFloat32(net.params());
        return new LayerStack(FrozenLayers.unwrapped(net.getLayerWiseConfigurations()), net);
    }

    /**
     * The network for training: a graph with one input and one output whose parameters are float32.
     *
     * @throws IllegalArgumentException if the parameters are not {@link DataType#FLOAT}, or the graph has several
     *                                  inputs or outputs
     */
    public static Network of(ComputationGraph graph) {
        requireFloat32(graph.params());
        if (graph.getConfiguration().getNetworkInputs().size() != 1 || graph.getConfiguration().getNetworkOutputs().size() != 1) {
            throw new IllegalArgumentException("only graphs with one input and one output can be trained; this one has inputs "
                    + graph.getConfiguration().getNetworkInputs() + " and outputs " + graph.getConfiguration().getNetworkOutputs());
        }
        return new GraphNetwork(FrozenLayers.unwrapped(graph.getConfiguration()), graph);
    }

    /** A network from its configuration JSON and flat parameters, taken bit for bit. */
    public static Network fromConfig(String configJson, boolean graph, float[] flat) {
        if (graph) {
            ComputationGraph g = new ComputationGraph(ComputationGraphConfiguration.fromJson(configJson));
            g.init(Dl4jNetwork.row(flat), false);
            return of(g);
        }
        MultiLayerNetwork n = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(configJson));
        n.init(Dl4jNetwork.row(flat), false);
        return of(n);
    }

    /** The unwrapped configuration (no freezing wrappers) as JSON. */
    public static String configJson(Network network) {
        if (network instanceof LayerStack m) return m.base.toJson();
        if (network instanceof GraphNetwork g) return g.base.toJson();
        throw new IllegalArgumentException("not a DL4J network: " + network);
    }

    /**
     * The network reading flat rows of {@code channels * height * width} values when {@code inputShape} =
     * [channels, height, width] is given: a model whose input layer reads images with no reshape in front of it (a
     * model built with {@code InputType.convolutional}, as DL4J's zoo builds them) gets DL4J's
     * {@link FeedForwardToCnnPreProcessor} there. That reshape passes image-shaped input through unchanged, so the
     * model still reads images as before, and no parameter changes. Then a trial pass over two zero rows on this
     * machine proves the network reads rows of {@link Network#inputs()} values, so a model that cannot fails here,
     * before any data is read, with the fix.
     */
    public static Network readingRows(Network network, java.util.List<Integer> inputShape) {
        Network n = network;
        if (!inputShape.isEmpty()) {
            if (inputShape.size() != 3) throw new IllegalArgumentException("model.input-shape = " + inputShape + "; give [channels, height, width]");
            var reshape = new FeedForwardToCnnPreProcessor(inputShape.get(1), inputShape.get(2), inputShape.get(0));
            n = network instanceof LayerStack m ? m.withInputReshape(reshape) : ((GraphNetwork) network).withInputReshape(reshape);
        }
        int width;
        try {
            width = n.inputs();
            n.output(Nd4j.zeros(DataType.FLOAT, 2, width));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the model cannot read flat rows" + (inputShape.isEmpty() ? "" : " of " + inputShape + " images")
                    + " (" + Dl4jNetwork.firstLine(e) + "). " + (inputShape.isEmpty()
                    ? "If it reads images, set model.input-shape = [channels, height, width], e.g. [1, 28, 28]."
                    : "Check model.input-shape against the shape the model was built for."), e);
        }
        return n;
    }

    public static boolean isGraph(Network network) {
        return network instanceof GraphNetwork;
    }

    /**
     * Loads a DL4J ModelSerializer zip holding either kind of network, for training: a model whose parameters are not
     * float32 is refused (see {@link #of(MultiLayerNetwork)}) with a message naming the file. To read any model's
     * parameters exactly as stored, without training it, use {@link StoredParams#load(Path)}.
     */
    public static Network load(Path file) {
        Model model = restore(file);
        try {
            return model instanceof ComputationGraph g ? of(g) : of((MultiLayerNetwork) model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The MultiLayerNetwork or ComputationGraph in a ModelSerializer zip, parameters in the type they were saved in.
     */
    static Model restore(Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("model file " + file + " is a directory: pass the model zip itself (a Permafrost run's model.zip is inside its --out folder)");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model file " + file + " does not exist: pass a DL4J model zip written by ModelSerializer or a Permafrost run");
        }
        try {
            try {
                return ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
            } catch (Exception notMln) {
                return ModelSerializer.restoreComputationGraph(file.toFile(), false);
            }
        } catch (Exception e) {
            throw new IllegalArgumentException("model file " + file + " is not a DL4J model (MultiLayerNetwork or ComputationGraph zip): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Refuses parameters that are not float32: converting them for training would round frozen weights, which then
     * would no longer be the weights the user froze.
     */
    private static void requireFloat32(INDArray params) {
        // No parameters yet (init() not called): NetworkParams names that problem.
        if (params == null || params.dataType() == DataType.FLOAT) return;
        throw new IllegalArgumentException("the model's parameters are stored as " + params.dataType()
                + ", but Permafrost trains float32 (FLOAT) models only, so that frozen weights are never rounded. "
                + "Build the model with .dataType(DataType.FLOAT) in NeuralNetConfiguration.Builder, or convert it in DL4J with "
                + "net.convertDataType(DataType.FLOAT) and save it again (the conversion rounds every weight to float32, "
                + "so convert once and use the converted model as the baseline you verify against)");
    }

    public static void save(Network network, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".partial");
        try {
            // Saved without freezing wrappers: a plain DL4J model anyone can load; freeze labels are Permafrost's own data.
            ModelSerializer.writeModel(fromConfig(configJson(network), isGraph(network), network.paramsCopy()).model(), tmp.toFile(), false);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

}
