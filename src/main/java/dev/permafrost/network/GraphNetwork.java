package dev.permafrost.network;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NetworkParams;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import java.util.ArrayList;
import java.util.List;

/** A ComputationGraph with one input and one output as a {@link Network}: its configuration, without freezing wrappers, and the live graph. */
final class GraphNetwork extends Dl4jNetwork {
    final ComputationGraphConfiguration base;
    private final ComputationGraph graph;

    private final Head head;

    GraphNetwork(ComputationGraphConfiguration base, ComputationGraph graph) {
        super(NetworkParams.of(graph));
        this.base = base;
        this.graph = graph;
        this.head = Head.of(graph, base);
    }

    @Override
    INDArray flatParams() {
        return graph.params();
    }

    @Override
    INDArray flatGradient() {
        return graph.gradient().gradient();
    }

    @Override
    double computeScore(DataSet batch) {
        graph.setInputs(batch.getFeatures());
        graph.setLabels(batch.getLabels());
        graph.computeGradientAndScore();
        return graph.score();
    }

    @Override
    public INDArray output(INDArray features) {
        return graph.outputSingle(false, features);
    }

    @Override
    public Network rebuild(ParamLabels labels, float[] flat) {
        ComputationGraph next = new ComputationGraph(FrozenLayers.apply(base, labels, table.layerNames()));
        next.init(row(flat), false);
        return new GraphNetwork(base, next);
    }

    @Override
    public Model model() {
        return graph;
    }

    @Override
    public int outputs() {
        return Math.toIntExact(head.classes());
    }

    @Override
    public Head head() {
        return head;
    }

    @Override
    public int inputs() {
        for (String reader : inputReaders(base)) {
            if (reshapeOf(base.getVertices().get(reader)) instanceof FeedForwardToCnnPreProcessor p) {
                return Math.toIntExact(p.getInputHeight() * p.getInputWidth() * p.getNumChannels());
            }
            if (graph.getLayer(reader) != null) return (int) graph.layerInputSize(reader);
        }
        throw new IllegalStateException("no layer reads the graph input " + base.getNetworkInputs().get(0));
    }

    /** The vertices that read the network's input directly. */
    private static List<String> inputReaders(ComputationGraphConfiguration conf) {
        String input = conf.getNetworkInputs().get(0);
        List<String> out = new ArrayList<>();
        for (var e : conf.getVertexInputs().entrySet()) if (e.getValue().contains(input)) out.add(e.getKey());
        return out;
    }

    /** A vertex's reshape of what it reads: a layer's input preprocessor or a preprocessor vertex's; null if none. */
    private static org.deeplearning4j.nn.conf.InputPreProcessor reshapeOf(org.deeplearning4j.nn.conf.graph.GraphVertex v) {
        if (v instanceof LayerVertex lv) return lv.getPreProcessor();
        if (v instanceof org.deeplearning4j.nn.conf.graph.PreprocessorVertex pv) return pv.getPreProcessor();
        return null;
    }

    /**
     * The same graph with this reshape in front of every layer that reads the input: readers that already reshape
     * must reshape to the same shape, the others get it.
     */
    Network withInputReshape(FeedForwardToCnnPreProcessor reshape) {
        ComputationGraphConfiguration c = base.clone();
        boolean added = false;
        for (String reader : inputReaders(c)) {
            var v = c.getVertices().get(reader);
            if (reshapeOf(v) != null) {
                requireSameReshape(this, reshapeOf(v), reshape);
            } else if (v instanceof LayerVertex lv) {
                lv.setPreProcessor(reshape.clone());
                added = true;
            } else {
                throw new IllegalArgumentException("vertex '" + reader + "' reads the graph input directly and is not a layer, so the "
                        + "flat rows cannot be reshaped for it: give the graph a first layer that reads the input");
            }
        }
        if (!added) return this;
        ComputationGraph next = new ComputationGraph(c);
        next.init(row(paramsCopy()), false);
        return Dl4jNetworks.of(next);
    }

    @Override
    public Network replaceHead(int classes, long seed) {
        ComputationGraph plain = new ComputationGraph(base.clone());
        plain.init(row(paramsCopy()), false);
        Nd4j.getRandom().setSeed(seed);
        head.requireReplaceable();
        ComputationGraph replaced = new TransferLearning.GraphBuilder(plain)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().seed(seed).build())
                .nOutReplace(head.layer(), classes, WeightInit.XAVIER).build();
        return Dl4jNetworks.of(replaced);
    }
}
