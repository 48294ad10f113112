package dev.permafrost.network;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The frozen part at the bottom of a network, when its output can be computed once and kept: every layer in it is
 * wrapped as DL4J's {@code FrozenLayer} (so it runs in inference mode: dropout and weight noise do nothing, BatchNorm
 * uses its running statistics) or has no parameters and no dropout, so each row's output is a pure function of the
 * row. The part ends at one boundary: the last of the first {@code layers} layers of a MultiLayerNetwork, or one vertex
 * of a ComputationGraph through which everything above reaches the input. Training the rest (the suffix) on the
 * boundary's outputs then gives the same gradients, bit for bit, as training the whole network on the rows.
 * <p>
 * {@code paramOffset} is where the suffix's parameters start in the flat vector: the frozen part's parameters must all
 * come first, so the suffix's flat vector is the whole one from there on. {@code outputWidth} is the width of one
 * row of the boundary's output (as the layer above reads it, after any reshape), found by a trial pass on the driver;
 * an image-shaped output is kept flat, channels first, and {@code imageShape} = [channels, height, width] makes the
 * suffix read it as the image again. {@code prefixVertices} are a graph's vertices below and at the boundary.
 * {@code rowIndependent}: a trial on the driver found each row's output bits independent of its place in the batch, so
 * the suffix trains bit for bit as the whole network would (see {@link RowPositionTrial}).
 */
public record FrozenPrefix(boolean graph, String boundary, String firstTrained, int layers, List<String> prefixVertices,
                           int paramOffset, int firstSuffixParam, int outputWidth, List<Integer> imageShape,
                           boolean rowIndependent) implements java.io.Serializable {

    public FrozenPrefix {
        prefixVertices = List.copyOf(prefixVertices);
        imageShape = List.copyOf(imageShape);
    }

    /** Whether a network and freeze phase have a prefix to compute once, and if not, why. */
    public record Decision(Optional<FrozenPrefix> prefix, String reason) {
        static Decision no(String reason) {
            return new Decision(Optional.empty(), reason);
        }
    }

    /** What the log says: the frozen part and where training starts. */
    public String describe() {
        String part = graph ? "the " + prefixVertices.size() + " vertices up to " + boundary
                : layers == 1 ? "layer " + boundary : "the " + layers + " layers up to " + boundary;
        return part + " frozen; training starts at " + firstTrained;
    }

    /**
     * Decides for {@code network}, as built for a freeze phase (frozen layers wrapped), its labels and the server's
     * shard layout. Not valid: nothing frozen or nothing left to train, no frozen part at the bottom, a frozen layer
     * above a trainable one (MultiLayerNetwork), no single boundary vertex (graph), frozen parameters laid out after
     * trainable ones, a shard across the boundary, an output that is neither flat nor an image.
     */
    public static Decision decide(Network network, ParamLabels labels, ShardLayout layout) {
        return decide(network, labels, layout, 8);
    }

    /** The same, with the row-position trial run on {@code trialRows} rows: the executors' chunk size. */
    public static Decision decide(Network network, ParamLabels labels, ShardLayout layout, int trialRows) {
        if (layout.frozen().isEmpty()) return Decision.no("nothing is frozen");
        if (layout.trainable().isEmpty()) return Decision.no("every parameter is frozen: nothing trains");
        if (network.model() instanceof MultiLayerNetwork net) return decideLayers(network, net, labels, layout, trialRows);
        return decideGraph(network, (ComputationGraph) network.model(), labels, layout, trialRows);
    }

    private static Decision decideLayers(Network network, MultiLayerNetwork net, ParamLabels labels, ShardLayout layout, int trialRows) {
        org.deeplearning4j.nn.api.Layer[] built = net.getLayers();
        int k = 0;
        while (k < built.length && built[k] instanceof org.deeplearning4j.nn.layers.FrozenLayer) k++;
        List<String> names = labels.table().layerNames();
        if (k == 0) return Decision.no("no frozen prefix: the first layer (" + names.get(0) + ") trains");
        if (k == built.length) return Decision.no("every layer is frozen: nothing trains");
        for (int i = k; i < built.length; i++) {
            if (built[i] instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop) {
                return Decision.no("layer " + names.get(i) + " is frozen above trainable layer " + names.get(k)
                        + ", so the frozen layers are not a prefix");
            }
        }
        // Layers without parameters or dropout right above (pooling, activations) run the same in training: they join
        // the frozen part, so their outputs are computed once too.
        while (k < built.length - 1 && built[k].numParams() == 0
                && deterministicWithoutParams(FrozenLayers.unwrap(net.getLayerWiseConfigurations().getConf(k).getLayer()))) {
            k++;
        }
        Set<String> prefixLayers = new HashSet<>(names.subList(0, k));
        FrozenPrefix draft = new FrozenPrefix(false, names.get(k - 1), names.get(k), k, List.of(), 0, 0, 0, List.of(), true);
        return finish(network, labels, layout, prefixLayers, draft, trialRows);
    }

    private static Decision decideGraph(Network network, ComputationGraph g, ParamLabels labels, ShardLayout layout, int trialRows) {
        ComputationGraphConfiguration conf = g.getConfiguration();
        String input = conf.getNetworkInputs().get(0);
        Map<String, List<String>> inputsOf = conf.getVertexInputs();
        List<String> order = new ArrayList<>();
        for (int i : g.topologicalSortOrder()) {
            GraphVertex v = g.getVertices()[i];
            if (!v.isInputVertex()) order.add(v.getVertexName());
        }
        String best = null;
        Set<String> bestPart = null;
        for (String candidate : order) {
            Set<String> part = ancestors(candidate, inputsOf, input);
            if (!part.stream().allMatch(v -> inert(g, conf, v)) || part.stream().noneMatch(v -> frozenLayer(g, v))) continue;
            boolean cut = true;
            for (String v : order) {
                if (part.contains(v)) continue;
                for (String in : inputsOf.getOrDefault(v, List.of())) {
                    if (in.equals(input) || (part.contains(in) && !in.equals(candidate))) cut = false;
                }
            }
            if (cut) {
                best = candidate;
                bestPart = part;
            }
        }
        if (best == null) {
            return Decision.no("no single vertex separates the frozen vertices from the trainable ones: the frozen part must end at "
                    + "one boundary vertex through which every trainable vertex reaches the input, and hold only frozen layers, "
                    + "layers without parameters or dropout, and vertices without parameters");
        }
        String firstTrained = order.stream().filter(v -> !frozenLayer(g, v) && g.getVertex(v).hasLayer() && g.getVertex(v).numParams() > 0)
                .findFirst().orElse("?");
        FrozenPrefix draft = new FrozenPrefix(true, best, firstTrained, 0, order.stream().filter(bestPart::contains).toList(), 0, 0, 0,
                List.of(), true);
        return finish(network, labels, layout, bestPart, draft, trialRows);
    }

    /** The boundary's parameters, shards and output shape checked; the prefix, or why not. */
    private static Decision finish(Network network, ParamLabels labels, ShardLayout layout, Set<String> part, FrozenPrefix draft,
                                   int trialRows) {
        ParamTable table = labels.table();
        int firstSuffixParam = 0;
        while (firstSuffixParam < table.size() && part.contains(table.get(firstSuffixParam).layerName())) firstSuffixParam++;
        for (int p = firstSuffixParam; p < table.size(); p++) {
            NamedParam param = table.get(p);
            if (part.contains(param.layerName())) {
                return Decision.no("frozen parameter " + param.name() + " is laid out after trainable " + table.get(firstSuffixParam).name()
                        + ", so the layers above the boundary do not hold the tail of the flat vector");
            }
        }
        long offset = firstSuffixParam < table.size() ? table.get(firstSuffixParam).offset() : table.totalLength();
        for (Shard s : layout.shards()) {
            if (s.start() < offset && s.end() > offset) return Decision.no(s.describe() + " spans the boundary at " + draft.boundary());
        }
        FrozenPrefix prefix = new FrozenPrefix(draft.graph(), draft.boundary(), draft.firstTrained(), draft.layers(), draft.prefixVertices(),
                Math.toIntExact(offset), firstSuffixParam, 0, List.of(), true);
        // A trial pass on the driver gives the output's shape; an output that is neither flat nor an image is not kept.
        INDArray trial;
        try {
            trial = prefix.boundaryOutput(network, Nd4j.zeros(DataType.FLOAT, 2, network.inputs()));
        } catch (RuntimeException e) {
            return Decision.no("the trial pass through the frozen part failed (" + e.getMessage() + ")");
        }
        if (trial.rank() != 2 && trial.rank() != 4) {
            return Decision.no("the output at " + draft.boundary() + " has rank " + trial.rank() + "; computing it once covers flat rows and images");
        }
        List<Integer> image = trial.rank() == 4 ? List.of((int) trial.size(1), (int) trial.size(2), (int) trial.size(3)) : List.of();
        int width = Math.toIntExact(trial.length() / trial.size(0));
        FrozenPrefix found = new FrozenPrefix(prefix.graph(), prefix.boundary(), prefix.firstTrained(), prefix.layers(), prefix.prefixVertices(),
                prefix.paramOffset(), firstSuffixParam, width, image, RowPositionTrial.rowIndependent(prefix.featurizer(network), network.inputs(), Math.max(2, trialRows)));
        if (found.graph()) {
            // DL4J lays a graph's parameters out in its topological order; the suffix graph's order must keep them the tail.
            Network suffix = found.suffix(network, labels, network.paramsCopy());
            List<String> expected = table.names().subList(firstSuffixParam, table.size());
            if (!suffix.params().names().equals(expected)) {
                return Decision.no("the graph above " + draft.boundary() + " lays its parameters out as " + suffix.params().names()
                        + ", not as the tail " + expected + " of the whole graph");
            }
        }
        return new Decision(Optional.of(found), "");
    }

    /** The boundary's output for a batch of rows, one flat row per input row (an image flattened channels first), in inference mode. */
    public INDArray features(Network network, INDArray rows) {
        return featurizer(network).features(rows);
    }

    /** Computes the boundary's outputs chunk after chunk with what it builds once: see {@link #featurizer(Network)}. */
    public interface Featurizer {
        /** One flat row per input row (an image flattened channels first), in inference mode. */
        INDArray features(INDArray rows);
    }

    /**
     * What computes the features, built once per task. For a MultiLayerNetwork: the frozen layers as a network of
     * their own, whose {@code output} runs in DL4J's inference workspace, so a chunk allocates only its result
     * (measured on an executor: {@code feedForwardToLayer}, which detaches every layer's activations, spent its time
     * allocating native buffers); the same operations, so the same bits. For a graph: the whole graph's forward pass
     * up to the boundary.
     */
    public Featurizer featurizer(Network network) {
        if (graph) return rows -> flat(boundaryOutput(network, rows));
        MultiLayerConfiguration base = MultiLayerConfiguration.fromJson(Dl4jNetworks.configJson(network));
        Map<Integer, InputPreProcessor> pre = new HashMap<>();
        for (var e : base.getInputPreProcessors().entrySet()) if (e.getKey() < layers) pre.put(e.getKey(), e.getValue());
        MultiLayerConfiguration conf = layerRange(base, 0, layers, pre);
        MultiLayerNetwork part = new MultiLayerNetwork(conf);
        float[] params = java.util.Arrays.copyOfRange(network.paramsCopy(), 0, paramOffset);
        part.init(Nd4j.createFromArray(params).reshape(1, params.length), false);
        InputPreProcessor reshape = base.getInputPreProcess(layers);
        return rows -> {
            INDArray out = part.output(rows, false);
            return flat(reshape == null ? out : reshape.preProcess(out, (int) out.size(0), LayerWorkspaceMgr.noWorkspaces()));
        };
    }

    private INDArray flat(INDArray out) {
        if (out.rank() == 4) return out.dup('c').reshape('c', out.size(0), out.length() / out.size(0));
        if (out.rank() != 2) throw new IllegalStateException("the output at " + boundary + " has rank " + out.rank() + "; computing it once covers flat rows and images");
        return out;
    }

    /** The boundary's output as the layer above reads it (after its reshape, for a MultiLayerNetwork), in the output's own shape. */
    private INDArray boundaryOutput(Network network, INDArray rows) {
        if (!graph) {
            MultiLayerNetwork net = (MultiLayerNetwork) network.model();
            INDArray out = net.feedForwardToLayer(layers - 1, rows, false).get(layers);
            InputPreProcessor reshape = net.getLayerWiseConfigurations().getInputPreProcess(layers);
            return reshape == null ? out : reshape.preProcess(out, (int) out.size(0), LayerWorkspaceMgr.noWorkspaces());
        }
        ComputationGraph g = (ComputationGraph) network.model();
        // DL4J's feedForward(input, i, train) stops after the vertex of layers[i] in topological order, so it takes the
        // boundary's position among the layers, not its vertex index. A boundary that is no layer (an add vertex, say)
        // needs the whole forward pass.
        GraphVertex vertex = g.getVertex(boundary);
        org.deeplearning4j.nn.api.Layer[] layersOfGraph = g.getLayers();
        int till = -1;
        for (int i = 0; vertex.hasLayer() && i < layersOfGraph.length; i++) if (layersOfGraph[i] == vertex.getLayer()) till = i;
        Map<String, INDArray> activations = till >= 0 ? g.feedForward(new INDArray[]{rows}, till, false)
                : g.feedForward(new INDArray[]{rows}, false, false);
        INDArray out = activations.get(boundary);
        if (out == null) throw new IllegalStateException("the forward pass did not reach vertex " + boundary);
        return out;
    }

    /**
     * The layers above the boundary as a network of their own, with the given flat parameters of the whole network
     * ({@code [paramOffset, end)} are the suffix's), labelled and wrapped as the whole network is. It reads the rows
     * {@link #features} gives.
     */
    public Network suffix(Network network, ParamLabels labels, float[] flat) {
        float[] params = java.util.Arrays.copyOfRange(flat, paramOffset, flat.length);
        String json = graph ? suffixGraph(network) : suffixLayers(network);
        Network plain = Dl4jNetworks.fromConfig(json, graph, params);
        if (plain.params().totalLength() != params.length) {
            throw new IllegalStateException("the suffix network has " + plain.params().totalLength() + " parameters, expected " + params.length);
        }
        ParamLabels suffixLabels = new ParamLabels(plain.params(), labels.labels().subList(firstSuffixParam, labels.labels().size()));
        return plain.rebuild(suffixLabels, params);
    }

    private FeedForwardToCnnPreProcessor imageReshape() {
        return new FeedForwardToCnnPreProcessor(imageShape.get(1), imageShape.get(2), imageShape.get(0));
    }

    private String suffixLayers(Network network) {
        MultiLayerConfiguration base = MultiLayerConfiguration.fromJson(Dl4jNetworks.configJson(network));
        Map<Integer, InputPreProcessor> pre = new HashMap<>();
        for (var e : base.getInputPreProcessors().entrySet()) {
            // The boundary's own reshape is already applied in the features.
            if (e.getKey() > layers) pre.put(e.getKey() - layers, e.getValue());
        }
        if (!imageShape.isEmpty()) pre.put(0, imageReshape());
        MultiLayerConfiguration conf = layerRange(base, layers, base.getConfs().size(), pre);
        return conf.toJson();
    }

    /** Layers {@code [from, to)} of {@code base} as a configuration of their own, reading through {@code pre} (indices within the range), with base's other settings. */
    private static MultiLayerConfiguration layerRange(MultiLayerConfiguration base, int from, int to, Map<Integer, InputPreProcessor> pre) {
        List<NeuralNetConfiguration> confs = new ArrayList<>(base.getConfs().subList(from, to));
        MultiLayerConfiguration conf = new MultiLayerConfiguration.Builder().confs(confs).inputPreProcessors(pre)
                .backpropType(base.getBackpropType()).tBPTTForwardLength(base.getTbpttFwdLength())
                .tBPTTBackwardLength(base.getTbpttBackLength()).dataType(base.getDataType()).build();
        conf.setTrainingWorkspaceMode(base.getTrainingWorkspaceMode());
        conf.setInferenceWorkspaceMode(base.getInferenceWorkspaceMode());
        conf.setCacheMode(base.getCacheMode());
        return conf;
    }

    /**
     * The graph without the frozen part: its input takes the boundary's name, so every vertex above reads what it read
     * before; an image output comes in flat under "{@code boundary}-features" and a reshape vertex named after the
     * boundary makes it the image again.
     */
    private String suffixGraph(Network network) {
        ComputationGraphConfiguration c = ComputationGraphConfiguration.fromJson(Dl4jNetworks.configJson(network));
        Map<String, org.deeplearning4j.nn.conf.graph.GraphVertex> vertices = new LinkedHashMap<>();
        Map<String, List<String>> inputs = new LinkedHashMap<>();
        String input = boundary;
        if (!imageShape.isEmpty()) {
            input = boundary + "-features";
            vertices.put(boundary, new PreprocessorVertex(imageReshape()));
            inputs.put(boundary, List.of(input));
        }
        for (var e : c.getVertices().entrySet()) {
            if (prefixVertices.contains(e.getKey())) continue;
            vertices.put(e.getKey(), e.getValue());
            inputs.put(e.getKey(), c.getVertexInputs().get(e.getKey()));
        }
        c.setVertices(vertices);
        c.setVertexInputs(inputs);
        c.setNetworkInputs(List.of(input));
        c.setTopologicalOrder(null);
        c.setTopologicalOrderStr(null);
        return c.toJson();
    }

    /** The vertex and every vertex it reads from, directly or not, the network input left out. */
    private static Set<String> ancestors(String vertex, Map<String, List<String>> inputsOf, String input) {
        Set<String> out = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(List.of(vertex));
        while (!todo.isEmpty()) {
            String v = todo.remove(todo.size() - 1);
            if (v.equals(input) || !out.add(v)) continue;
            todo.addAll(inputsOf.getOrDefault(v, List.of()));
        }
        return out;
    }

    private static boolean frozenLayer(ComputationGraph g, String vertex) {
        GraphVertex v = g.getVertex(vertex);
        return v.hasLayer() && v.getLayer() instanceof org.deeplearning4j.nn.layers.FrozenLayer;
    }

    /** Runs the same in training as in inference: a frozen layer, a layer without parameters or dropout, or a vertex without parameters. */
    private static boolean inert(ComputationGraph g, ComputationGraphConfiguration conf, String vertex) {
        if (frozenLayer(g, vertex)) return true;
        GraphVertex v = g.getVertex(vertex);
        if (!v.hasLayer()) return v.numParams() == 0;
        if (v.numParams() > 0) return false;
        return deterministicWithoutParams(FrozenLayers.unwrap(((LayerVertex) conf.getVertices().get(vertex)).getLayerConf().getLayer()));
    }

    /**
     * Layers without parameters known to compute the same in training as in inference: pooling, padding, cropping and
     * activations other than the randomized ReLU, with no dropout. Anything else (a custom or SameDiff layer, say) is
     * not assumed to be.
     */
    private static boolean deterministicWithoutParams(Layer layer) {
        if (layer.getIDropout() != null) return false;
        if (layer instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer a) {
            return !(a.getActivationFn() instanceof org.nd4j.linalg.activations.impl.ActivationRReLU);
        }
        return layer instanceof org.deeplearning4j.nn.conf.layers.SubsamplingLayer
                || layer instanceof org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer
                || layer instanceof org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer
                || layer instanceof org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D
                || layer instanceof org.deeplearning4j.nn.conf.layers.Upsampling2D;
    }
}
