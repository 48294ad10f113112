package dev.permafrost.network;

import dev.permafrost.model.NetworkParams;
import dev.permafrost.model.ParamTable;
import dev.permafrost.model.ParamViews;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model's parameters exactly as stored, for inspection ({@code params}, {@code verify}) and never for training:
 * names and layout, the data type, and the values in that type. Unlike {@link Dl4jNetworks#load(Path)} it takes a
 * model of any data type; values can be read for float32 ({@link DataType#FLOAT}) and float64 ({@link DataType#DOUBLE})
 * parameters, and a read of any other type is refused.
 */
public final class StoredParams {
    private final ParamTable table;
    private final DataType dataType;
    private final INDArray flat;
    /** DL4J's own view of each parameter by name: what {@link #rawBits(String)} and {@link #values(String)} read. */
    private final Map<String, INDArray> views;
    /** The values, read from {@link #flat} on first use: FLOAT models fill {@code floats}, DOUBLE ones {@code doubles}. */
    private float[] floats;
    private double[] doubles;

    private StoredParams(ParamTable table, INDArray flat, Model model) {
        this.table = table;
        this.dataType = flat.dataType();
        this.flat = flat;
        this.views = ParamViews.of(model);
    }

    /** Reads a DL4J ModelSerializer zip holding either kind of network, keeping its parameters in their stored type. */
    public static StoredParams load(Path file) {
        Model model = Dl4jNetworks.restore(file);
        return model instanceof ComputationGraph g ? of(g) : of((MultiLayerNetwork) model);
    }

    public static StoredParams of(MultiLayerNetwork net) {
        return new StoredParams(NetworkParams.of(net), net.params(), net);
    }

    public static StoredParams of(ComputationGraph graph) {
        return new StoredParams(NetworkParams.of(graph), graph.params(), graph);
    }

    /** Names, shapes and offsets of the parameters in the flat vector. */
    public ParamTable table() {
        return table;
    }

    /** The type the parameters are stored in. */
    public DataType dataType() {
        return dataType;
    }

    /** Whether the values can be read exactly: float32 or float64 parameters. */
    public boolean readable() {
        return dataType == DataType.FLOAT || dataType == DataType.DOUBLE;
    }

    /**
     * A copy of the flat float32 parameters.
     *
     * @throws IllegalStateException if they are stored in another type
     */
    public float[] floats() {
        if (dataType != DataType.FLOAT) throw new IllegalStateException("the parameters are stored as " + dataType + ", not FLOAT");
        return values().floats.clone();
    }

    /**
     * A copy of the flat float64 parameters.
     *
     * @throws IllegalStateException if they are stored in another type
     */
    public double[] doubles() {
        if (dataType != DataType.DOUBLE) throw new IllegalStateException("the parameters are stored as " + dataType + ", not DOUBLE");
        return values().doubles.clone();
    }

    /** The parameter names DL4J's own views carry ({@code <layer>.<key>}), layer by layer. */
    public Set<String> viewNames() {
        return views.keySet();
    }

    /** DL4J's shape of the named parameter, or empty if the model has no such parameter. */
    public Optional<List<Long>> shape(String name) {
        INDArray view = views.get(name);
        if (view == null) return Optional.empty();
        List<Long> shape = new ArrayList<>();
        for (long d : view.shape()) shape.add(d);
        return Optional.of(shape);
    }

    /**
     * The raw IEEE-754 bits of the named parameter's elements in row-major order of its shape, read by name through
     * DL4J's own view (never through an offset): {@link Float#floatToRawIntBits} (zero-extended) for FLOAT,
     * {@link Double#doubleToRawLongBits} for DOUBLE. Two models of the same type hold the same value exactly when these agree.
     */
    public long[] rawBits(String name) {
        INDArray view = view(name);
        if (dataType == DataType.FLOAT) {
            float[] v = ParamViews.floats(view);
            long[] out = new long[v.length];
            for (int i = 0; i < v.length; i++) out[i] = Float.floatToRawIntBits(v[i]) & 0xFFFF_FFFFL;
            return out;
        }
        double[] v = readableDoubles(view);
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Double.doubleToRawLongBits(v[i]);
        return out;
    }

    /** The named parameter's elements as doubles (exact for FLOAT and DOUBLE), in the order of {@link #rawBits(String)}. */
    public double[] values(String name) {
        INDArray view = view(name);
        if (dataType == DataType.FLOAT) {
            float[] v = ParamViews.floats(view);
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) out[i] = v[i];
            return out;
        }
        return readableDoubles(view);
    }

    private INDArray view(String name) {
        INDArray view = views.get(name);
        if (view == null) throw new IllegalArgumentException("the model has no parameter " + name + "; it has " + views.keySet());
        return view;
    }

    private double[] readableDoubles(INDArray view) {
        if (dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("the parameters are stored as " + dataType
                    + ": Permafrost reads float32 (FLOAT) and float64 (DOUBLE) values exactly, and no other type");
        }
        return ParamViews.doubles(view);
    }

    /** This, with the values read onto the heap in their stored type; refused for types other than FLOAT and DOUBLE. */
    private StoredParams values() {
        if (floats != null || doubles != null) return this;
        if (dataType == DataType.FLOAT) {
            floats = owned(flat).data().asFloat();
        } else if (dataType == DataType.DOUBLE) {
            doubles = owned(flat).data().asDouble();
        } else {
            throw new IllegalArgumentException("the parameters are stored as " + dataType
                    + ": Permafrost reads float32 (FLOAT) and float64 (DOUBLE) values exactly, and no other type");
        }
        return this;
    }

    /** An array whose buffer holds exactly its elements: DL4J's flat parameter vector itself, else a copy. */
    private static INDArray owned(INDArray a) {
        return a.offset() == 0 && a.data().length() == a.length() ? a : a.dup();
    }
}
