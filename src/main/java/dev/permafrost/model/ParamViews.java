package dev.permafrost.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every parameter of a DL4J model by name, as DL4J's own {@code paramTable()} view, read without any offset of
 * Permafrost's: what the proofs of frozen bits (the end-of-run check, {@code verify}, retrain's pre-publish check) read,
 * so that none of them can share a mistake with the flat-vector map the trainer uses.
 */
public final class ParamViews {
    private ParamViews() {
    }

    /** {@code <layer>.<key>} to DL4J's view of that parameter, layer by layer as DL4J lists them. */
    public static Map<String, INDArray> of(Model model) {
        Layer[] layers;
        if (model instanceof ComputationGraph g) layers = g.getLayers();
        else if (model instanceof MultiLayerNetwork n) layers = n.getLayers();
        else throw new IllegalArgumentException("not a MultiLayerNetwork or ComputationGraph: " + model.getClass().getName());
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.length; i++) {
            String layerName = NetworkParams.layerName(layers[i], i);
            for (Map.Entry<String, INDArray> e : layers[i].paramTable(false).entrySet()) out.put(layerName + "." + e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The float32 values of a view, copied in row-major order of its shape (whatever order DL4J stores it in), so two
     * models' same-named parameters compare element by element.
     */
    public static float[] floats(INDArray view) {
        return floats(view, 'c');
    }

    /**
     * The float32 values of a view in {@code order} ('c' row-major, 'f' column-major): in the view's own
     * {@link INDArray#ordering()} they are its range of the flat vector, element for element.
     */
    public static float[] floats(INDArray view, char order) {
        if (view.dataType() != DataType.FLOAT) throw new IllegalArgumentException("expected FLOAT values, found " + view.dataType());
        return view.dup(order).data().asFloat();
    }

    /** The float64 values of a view in row-major order of its shape. */
    public static double[] doubles(INDArray view) {
        if (view.dataType() != DataType.DOUBLE) throw new IllegalArgumentException("expected DOUBLE values, found " + view.dataType());
        return view.dup('c').data().asDouble();
    }
}
