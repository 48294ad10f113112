package dev.permafrost.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Names every parameter of a DL4J network, in the order DL4J lays them out in its flat view: layers
 * in network (for a graph, topological) order, each layer's parameters in its configuration's variable order.
 */
public final class NetworkParams {

    /** DL4J names unnamed layers {@code layer<i>}; such a layer is named by its index alone. */
    private static final Pattern DL4J_DEFAULT_NAME = Pattern.compile("layer(\\d+)");

    private NetworkParams() {
    }

    public static ParamTable of(MultiLayerNetwork net) {
        requireInit(net.params(), "MultiLayerNetwork");
        return table(net.getLayers());
    }

    public static ParamTable of(ComputationGraph graph) {
        requireInit(graph.params(), "ComputationGraph");
        return table(graph.getLayers());
    }

    private static void requireInit(INDArray params, String what) {
        if (params == null) {
            throw new IllegalStateException("the " + what + " has no parameters yet: call init() before naming its parameters");
        }
    }

    private static ParamTable table(Layer[] layers) {
        List<NamedParam> params = new ArrayList<>();
        List<String> layerNames = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            String layerName = layerName(layer, i);
            layerNames.add(layerName);
            Map<String, INDArray> table = layer.paramTable(false);
            for (String key : layer.conf().variables(false)) {
                INDArray view = table.get(key);
                if (view == null) continue;
                long length = view.length();
                params.add(new NamedParam(layerName + "." + key, layerName, i, key, boxed(view.shape()), offset, length,
                        kindOf(layer, key)));
                offset += length;
            }
        }
        return new ParamTable(params, layerNames);
    }

    static String layerName(Layer layer, int index) {
        String name = layer.conf().getLayer().getLayerName();
        if (name == null || name.isBlank()) return Integer.toString(index);
        var m = DL4J_DEFAULT_NAME.matcher(name);
        if (m.matches() && Integer.parseInt(m.group(1)) == index) return Integer.toString(index);
        return name;
    }

    static ParamKind kindOf(Layer layer, String key) {
        // DL4J's own marker for "this gradient is really an update": it exempts such values from the
        // division by minibatch size. That is exactly the set of running statistics.
        if (!layer.updaterDivideByMinibatch(key)) return ParamKind.NORM_STATISTIC;
        return switch (key) {
            case "W", "RW", "pW", "dW", "Wq", "Wk", "Wv", "Wo" -> ParamKind.WEIGHT;
            case "b", "vb", "pb" -> ParamKind.BIAS;
            case "gamma" -> ParamKind.NORM_SCALE;
            case "beta" -> ParamKind.NORM_SHIFT;
            default -> ParamKind.OTHER;
        };
    }

    private static List<Long> boxed(long[] shape) {
        List<Long> out = new ArrayList<>(shape.length);
        for (long s : shape) out.add(s);
        return out;
    }
}
