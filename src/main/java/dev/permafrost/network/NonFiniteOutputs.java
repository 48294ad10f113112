package dev.permafrost.network;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a network's outputs first stop being finite: each layer's (or vertex's) inference-mode activations for some
 * rows, read in DL4J's own order (layer order; a graph's topological order), and the first one holding NaN or
 * infinity named. Run only after a non-finite value was seen, so it costs nothing while training is healthy.
 */
public final class NonFiniteOutputs {
    private NonFiniteOutputs() {
    }

    /** The first layer or vertex that outputs NaN or infinity, and whether it is frozen. */
    public record Origin(String name, boolean frozen, String value) {
        public String describe() {
            return (frozen ? "frozen " : "") + "layer or vertex " + name + " outputs " + value;
        }
    }

    /** The origin of a non-finite output for {@code rows} (flat rows as the network reads them), if any. */
    public static Optional<Origin> find(org.deeplearning4j.nn.api.Model model, INDArray rows) {
        if (!finite(rows)) return Optional.of(new Origin("(the input rows)", false, kind(rows)));
        if (model instanceof MultiLayerNetwork net) {
            List<INDArray> activations = net.feedForward(rows, false);
            for (int i = 1; i < activations.size(); i++) {
                if (!finite(activations.get(i))) {
                    Layer layer = net.getLayer(i - 1);
                    return Optional.of(new Origin(dev.permafrost.model.NetworkParams.layerName(layer, i - 1), frozen(layer), kind(activations.get(i))));
                }
            }
            return Optional.empty();
        }
        ComputationGraph g = (ComputationGraph) model;
        Map<String, INDArray> activations = g.feedForward(new INDArray[]{rows}, false, false);
        for (int i : g.topologicalSortOrder()) {
            GraphVertex v = g.getVertices()[i];
            INDArray a = activations.get(v.getVertexName());
            if (v.isInputVertex() || a == null || finite(a)) continue;
            boolean frozen = v instanceof org.deeplearning4j.nn.graph.vertex.impl.FrozenVertex || v.hasLayer() && frozen(v.getLayer());
            return Optional.of(new Origin(v.getVertexName(), frozen, kind(a)));
        }
        return Optional.empty();
    }

    /**
     * Frozen with nothing trainable below it: DL4J's {@code FrozenLayer}. A {@code FrozenLayerWithBackprop} has trainable
     * layers below, whose diverging outputs it may only pass on, so its non-finite output is no proof the frozen part broke.
     */
    private static boolean frozen(Layer layer) {
        return layer instanceof FrozenLayer;
    }

    /** No NaN and no infinity among the array's values. */
    public static boolean finite(INDArray a) {
        return !a.isInfinite().any() && !a.isNaN().any();
    }

    private static String kind(INDArray a) {
        return a.isNaN().any() ? "NaN" : "infinity";
    }
}
