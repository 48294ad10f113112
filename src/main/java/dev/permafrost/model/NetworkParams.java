package dev.permafrost.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Names every parameter of a DL4J network and says where it lives in the flat vector, reading both from DL4J itself:
 * each layer's {@code paramTable()} views, and where each view's memory sits in {@code params()}. No convention about
 * DL4J's layout is assumed (a convolution keeps its bias before its weights; a graph lays its layers out in
 * topological order), and every view is checked to be exactly its range of the flat vector before anything trusts it.
 */
public final class NetworkParams {

    /** DL4J names unnamed layers {@code layer<i>}; such a layer is named by its index alone. */
    private static final Pattern DL4J_DEFAULT_NAME = Pattern.compile("layer(\\d+)");

    private NetworkParams() {
    }

    public static ParamTable of(MultiLayerNetwork net) {
        requireInit(net.params(), "MultiLayerNetwork");
        return table(net.params(), net.getLayers());
    }

    public static ParamTable of(ComputationGraph graph) {
        requireInit(graph.params(), "ComputationGraph");
        return table(graph.params(), graph.getLayers());
    }

    private static void requireInit(INDArray params, String what) {
        if (params == null) {
            throw new IllegalStateException("the " + what + " has no parameters yet: call init() before naming its parameters");
        }
    }

    private static ParamTable table(INDArray flat, Layer[] layers) {
        List<NamedParam> params = new ArrayList<>();
        List<String> layerNames = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            String layerName = layerName(layer, i);
            layerNames.add(layerName);
            for (Map.Entry<String, INDArray> e : layer.paramTable(false).entrySet()) {
                String name = layerName + "." + e.getKey();
                INDArray view = e.getValue();
                params.add(new NamedParam(name, layerName, i, e.getKey(), boxed(view.shape()), offsetIn(flat, view, name), view.length(),
                        kindOf(layer, e.getKey())));
            }
        }
        params.sort(Comparator.comparingLong(NamedParam::offset));
        ParamTable table = new ParamTable(params, layerNames);
        if (table.totalLength() != flat.length()) {
            throw new IllegalStateException("DL4J's parameter views cover " + table.totalLength() + " of the " + flat.length()
                    + " values in params(): some memory belongs to no named parameter, so the network cannot be trained by name");
        }
        return table;
    }

    /**
     * Where DL4J's view of a parameter starts in the flat vector, after checking that it is that memory: the same
     * buffer, a dense block (default strides for its order, so its elements are exactly the range), the same type.
     */
    private static long offsetIn(INDArray flat, INDArray view, String name) {
        long elementSize = flat.dataType().width();
        long bytes = view.data().addressPointer().address() - flat.data().addressPointer().address();
        long offset = view.offset() - flat.offset();
        boolean dense = view.length() == 0 || Arrays.equals(view.stride(), Nd4j.getStrides(view.shape(), view.ordering()));
        if (view.dataType() != flat.dataType() || bytes != offset * elementSize || offset < 0 || offset + view.length() > flat.length() || !dense) {
            throw new IllegalStateException("DL4J's view of parameter " + name + " (" + view.dataType() + ", shape " + Arrays.toString(view.shape())
                    + ", strides " + Arrays.toString(view.stride()) + ", offset " + offset + ") is not one block of the flat parameter vector ("
                    + flat.dataType() + ", " + flat.length() + " values): Permafrost cannot map this network's parameters by name");
        }
        return offset;
    }

    public static String layerName(Layer layer, int index) {
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
