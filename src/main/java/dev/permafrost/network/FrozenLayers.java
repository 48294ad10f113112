package dev.permafrost.network;

import dev.permafrost.freeze.ParamLabels;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;

import java.util.List;
import java.util.Map;

/**
 * Wraps fully frozen layers so DL4J runs them in inference mode. A frozen prefix (every layer below also frozen)
 * gets {@link FrozenLayer}, which also stops backpropagation where nothing below can learn; a frozen layer with
 * trainable layers below gets {@link FrozenLayerWithBackprop}, and then workspaces are turned off: measured on
 * DL4J 1.0.0-M2.1, that wrapper around BatchNormalization fails with default workspaces ("outdated workspace
 * pointer"). Values are never changed here; the parameter server keeps frozen values from moving.
 * <p>
 * A frozen BatchNormalization layer with trainable layers below it is refused: DL4J 1.0.0-M2.1's BatchNormalization
 * backprop always applies the batch-statistics formula, even after an inference-mode forward pass, so through
 * {@link FrozenLayerWithBackprop} it hands wrong gradients to the layers below (measured here: NaN within 75 steps).
 */
final class FrozenLayers {
    private FrozenLayers() {
    }

    static Layer unwrap(Layer layer) {
        Layer l = layer;
        while (true) {
            if (l instanceof FrozenLayer f) l = f.getLayer();
            else if (l instanceof FrozenLayerWithBackprop f) l = f.getUnderlying();
            else return l;
        }
    }

    /** A configuration with no freezing wrappers: the base every rebuild starts from. */
    static MultiLayerConfiguration unwrapped(MultiLayerConfiguration conf) {
        MultiLayerConfiguration c = MultiLayerConfiguration.fromJson(conf.toJson());
        for (NeuralNetConfiguration nnc : c.getConfs()) nnc.setLayer(unwrap(nnc.getLayer()));
        return c;
    }

    static ComputationGraphConfiguration unwrapped(ComputationGraphConfiguration conf) {
        ComputationGraphConfiguration c = ComputationGraphConfiguration.fromJson(conf.toJson());
        for (Map.Entry<String, GraphVertex> e : c.getVertices().entrySet()) {
            while (e.getValue() instanceof FrozenVertex f) e.setValue(f.getUnderlying());
            if (e.getValue() instanceof LayerVertex lv) lv.getLayerConf().setLayer(unwrap(lv.getLayerConf().getLayer()));
        }
        return c;
    }

    static MultiLayerConfiguration apply(MultiLayerConfiguration base, ParamLabels labels) {
        MultiLayerConfiguration c = MultiLayerConfiguration.fromJson(base.toJson());
        List<NeuralNetConfiguration> confs = c.getConfs();
        boolean prefix = true;
        boolean backpropWrapper = false;
        for (int i = 0; i < confs.size(); i++) {
            NeuralNetConfiguration nnc = confs.get(i);
            boolean hasParams = hasParams(labels, i);
            boolean frozen = hasParams ? labels.layerFullyFrozen(i) : prefix && nextWithParamsFrozen(labels, i, confs.size());
            if (!frozen) {
                if (hasParams) prefix = false;
                continue;
            }
            if (prefix) {
                nnc.setLayer(named(new FrozenLayer(nnc.getLayer()), nnc.getLayer()));
            } else {
                refuseBatchNormWithTrainableBelow(nnc.getLayer(), labels, i);
                nnc.setLayer(named(new FrozenLayerWithBackprop(nnc.getLayer()), nnc.getLayer()));
                backpropWrapper = true;
            }
        }
        if (backpropWrapper) {
            c.setTrainingWorkspaceMode(WorkspaceMode.NONE);
            c.setInferenceWorkspaceMode(WorkspaceMode.NONE);
        }
        return c;
    }

    static ComputationGraphConfiguration apply(ComputationGraphConfiguration base, ParamLabels labels, List<String> layerNames) {
        ComputationGraphConfiguration c = ComputationGraphConfiguration.fromJson(base.toJson());
        Map<String, List<String>> inputs = c.getVertexInputs();
        boolean backpropWrapper = false;
        for (Map.Entry<String, GraphVertex> e : c.getVertices().entrySet()) {
            int index = layerNames.indexOf(e.getKey());
            if (index < 0 || !(e.getValue() instanceof LayerVertex lv)) continue;
            if (!hasParams(labels, index)) {
                // A layer without parameters inside a frozen backbone (dropout, pooling) runs in inference mode with it,
                // as in a MultiLayerNetwork: everything below it is frozen and every layer it feeds first is frozen.
                if (upstreamFrozen(e.getKey(), inputs, labels, layerNames, new java.util.HashSet<>())
                        && nextLayersWithParamsFrozen(e.getKey(), inputs, labels, layerNames)) {
                    lv.getLayerConf().setLayer(named(new FrozenLayer(lv.getLayerConf().getLayer()), lv.getLayerConf().getLayer()));
                }
                continue;
            }
            if (!labels.layerFullyFrozen(index)) continue;
            if (upstreamFrozen(e.getKey(), inputs, labels, layerNames, new java.util.HashSet<>())) {
                lv.getLayerConf().setLayer(named(new FrozenLayer(lv.getLayerConf().getLayer()), lv.getLayerConf().getLayer()));
            } else {
                refuseBatchNormWithTrainableBelow(lv.getLayerConf().getLayer(), labels, index);
                lv.getLayerConf().setLayer(named(new FrozenLayerWithBackprop(lv.getLayerConf().getLayer()), lv.getLayerConf().getLayer()));
                backpropWrapper = true;
            }
        }
        // DL4J's backprop skips a FrozenLayer without handing its inputs an epsilon, and any other vertex left without
        // one fails ("Cannot do backward pass: errors not set"). A vertex that is not a layer (ElementWiseVertex,
        // MergeVertex...) whose every consumer is skipped has nothing trainable below it, so it is skipped too, as
        // TransferLearning.setFeatureExtractor does: FrozenVertex computes the same forward pass.
        Map<String, List<String>> consumers = new java.util.HashMap<>();
        inputs.forEach((v, ins) -> ins.forEach(in -> consumers.computeIfAbsent(in, k -> new java.util.ArrayList<>()).add(v)));
        Map<String, Boolean> skipped = new java.util.HashMap<>();
        for (Map.Entry<String, GraphVertex> e : c.getVertices().entrySet()) {
            if (!(e.getValue() instanceof LayerVertex) && !(e.getValue() instanceof FrozenVertex)
                    && skippedInBackprop(e.getKey(), c, consumers, skipped)) {
                e.setValue(new FrozenVertex(e.getValue()));
            }
        }
        if (backpropWrapper) {
            c.setTrainingWorkspaceMode(WorkspaceMode.NONE);
            c.setInferenceWorkspaceMode(WorkspaceMode.NONE);
        }
        return c;
    }

    /** True when DL4J's backprop never reaches this vertex: a FrozenLayer, a FrozenVertex, or a non-layer vertex all of whose consumers are skipped. */
    private static boolean skippedInBackprop(String vertex, ComputationGraphConfiguration c, Map<String, List<String>> consumers,
                                             Map<String, Boolean> memo) {
        Boolean known = memo.get(vertex);
        if (known != null) return known;
        GraphVertex v = c.getVertices().get(vertex);
        boolean skipped;
        if (v instanceof LayerVertex lv) {
            skipped = lv.getLayerConf().getLayer() instanceof FrozenLayer;
        } else if (v instanceof FrozenVertex) {
            skipped = true;
        } else {
            List<String> outs = consumers.getOrDefault(vertex, List.of());
            skipped = !outs.isEmpty() && !c.getNetworkOutputs().contains(vertex)
                    && outs.stream().allMatch(o -> skippedInBackprop(o, c, consumers, memo));
        }
        memo.put(vertex, skipped);
        return skipped;
    }

    /** True when every layer with parameters that feeds this vertex, directly or not, is fully frozen. */
    private static boolean upstreamFrozen(String vertex, Map<String, List<String>> inputs, ParamLabels labels,
                                          List<String> layerNames, java.util.Set<String> seen) {
        for (String in : inputs.getOrDefault(vertex, List.of())) {
            if (!seen.add(in)) continue;
            int index = layerNames.indexOf(in);
            if (index >= 0 && hasParams(labels, index) && !labels.layerFullyFrozen(index)) return false;
            if (!upstreamFrozen(in, inputs, labels, layerNames, seen)) return false;
        }
        return true;
    }

    /**
     * True when the first layers with parameters above this vertex (through vertices without parameters) are all
     * fully frozen, and there is at least one.
     */
    private static boolean nextLayersWithParamsFrozen(String vertex, Map<String, List<String>> inputs, ParamLabels labels,
                                                      List<String> layerNames) {
        java.util.Deque<String> todo = new java.util.ArrayDeque<>(List.of(vertex));
        java.util.Set<String> seen = new java.util.HashSet<>();
        boolean any = false;
        while (!todo.isEmpty()) {
            String v = todo.pop();
            for (Map.Entry<String, List<String>> e : inputs.entrySet()) {
                if (!e.getValue().contains(v) || !seen.add(e.getKey())) continue;
                int index = layerNames.indexOf(e.getKey());
                if (index >= 0 && hasParams(labels, index)) {
                    if (!labels.layerFullyFrozen(index)) return false;
                    any = true;
                } else {
                    todo.push(e.getKey());
                }
            }
        }
        return any;
    }

    private static void refuseBatchNormWithTrainableBelow(Layer layer, ParamLabels labels, int index) {
        if (layer instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization) {
            String name = labels.table().layerNames().get(index);
            throw new dev.permafrost.freeze.FreezePlanException("the plan freezes BatchNormalization layer '" + name
                    + "' while layers below it train. DL4J's BatchNormalization backprop assumes batch statistics, so "
                    + "the layers below would get wrong gradients. Freeze everything below it as well, or keep it "
                    + "trainable with --keep-trainable '" + name + ".*'.");
        }
    }

    /**
     * A wrapper carries no name of its own; DL4J then names it "layer<i>" on load and pushes that name into the
     * wrapped layer, so parameter names would change. The wrapper takes the wrapped layer's name.
     */
    private static Layer named(Layer wrapper, Layer inner) {
        if (inner.getLayerName() != null) wrapper.setLayerName(inner.getLayerName());
        return wrapper;
    }

    private static boolean hasParams(ParamLabels labels, int layerIndex) {
        return labels.table().params().stream().anyMatch(p -> p.layerIndex() == layerIndex && p.length() > 0);
    }

    private static boolean nextWithParamsFrozen(ParamLabels labels, int from, int layers) {
        for (int j = from + 1; j < layers; j++) {
            if (hasParams(labels, j)) return labels.layerFullyFrozen(j);
        }
        return false;
    }
}
