package dev.permafrost.network;

import dev.permafrost.model.NetworkParams;
import dev.permafrost.model.ParamTable;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

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
    /** The values, read from {@link #flat} on first use: FLOAT models fill {@code floats}, DOUBLE ones {@code doubles}. */
    private float[] floats;
    private double[] doubles;

    private StoredParams(ParamTable table, INDArray flat) {
        this.table = table;
        this.dataType = flat.dataType();
        this.flat = flat;
    }

    /** Reads a DL4J ModelSerializer zip holding either kind of network, keeping its parameters in their stored type. */
    public static StoredParams load(Path file) {
        Model model = Dl4jNetworks.restore(file);
        return model instanceof ComputationGraph g ? of(g) : of((MultiLayerNetwork) model);
    }

    public static StoredParams of(MultiLayerNetwork net) {
        return new StoredParams(NetworkParams.of(net), net.params());
    }

    public static StoredParams of(ComputationGraph graph) {
        return new StoredParams(NetworkParams.of(graph), graph.params());
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

    /**
     * The raw IEEE-754 bits of flat element {@code i} in the stored type: {@link Float#floatToRawIntBits} (zero-extended)
     * for FLOAT, {@link Double#doubleToRawLongBits} for DOUBLE. Two models of the same type hold the same value exactly
     * when these agree.
     */
    public long rawBits(long i) {
        StoredParams v = values();
        if (v.floats != null) return Float.floatToRawIntBits(v.floats[Math.toIntExact(i)]) & 0xFFFF_FFFFL;
        return Double.doubleToRawLongBits(v.doubles[Math.toIntExact(i)]);
    }

    /** Flat element {@code i} as a double: exact for both FLOAT (widened) and DOUBLE. */
    public double value(long i) {
        StoredParams v = values();
        if (v.floats != null) return v.floats[Math.toIntExact(i)];
        return v.doubles[Math.toIntExact(i)];
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
