package dev.permafrost.network;

import dev.permafrost.model.NetworkParams;
import dev.permafrost.testing.CommandLine.Run;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.IOException;
import java.nio.file.Path;

import static dev.permafrost.testing.CommandLine.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model whose parameters are not float32 is refused for training and compared exactly, in its own type, by verify. */
class ExactTypesTest {

    /** Dense 4->3 ("body") and output 3->2 ("head"), parameters stored as {@code type}. */
    static MultiLayerNetwork small(DataType type, long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(type).list()
                .layer(new DenseLayer.Builder().name("body").nIn(4).nOut(3).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("head").nIn(3).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static Path save(MultiLayerNetwork net, Path file) throws IOException {
        ModelSerializer.writeModel(net, file.toFile(), false);
        return file;
    }

    @Test
    void aFloat64ModelIsRefusedForTrainingWithTheTypeTheFileAndTheFix(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = small(DataType.DOUBLE, 1);
        assertEquals(DataType.DOUBLE, net.params().dataType());
        IllegalArgumentException direct = assertThrows(IllegalArgumentException.class, () -> Dl4jNetworks.of(net));
        assertTrue(direct.getMessage().contains("DOUBLE") && direct.getMessage().contains("float32")
                && direct.getMessage().contains("convertDataType(DataType.FLOAT)"), direct.getMessage());

        Path file = save(net, dir.resolve("double-model.zip"));
        assertEquals(DataType.DOUBLE, StoredParams.load(file).dataType(), "the file keeps the model's type");
        IllegalArgumentException loaded = assertThrows(IllegalArgumentException.class, () -> Dl4jNetworks.load(file));
        assertTrue(loaded.getMessage().contains("DOUBLE") && loaded.getMessage().contains("double-model.zip"), loaded.getMessage());

        // The fix the message gives is accepted.
        Network converted = Dl4jNetworks.of(net.convertDataType(DataType.FLOAT));
        assertEquals(NetworkParams.of(net).names(), converted.params().names());
    }

    @Test
    void paramsListsAFloat64Model(@TempDir Path dir) throws Exception {
        Path file = save(small(DataType.DOUBLE, 1), dir.resolve("d.zip"));
        Run r = run("params", "--model", file.toString(), "--freeze", "body.*");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("body.W") && l.contains("4x3") && l.endsWith("frozen")), r.out());
        assertTrue(r.out().contains("4 parameters, 23 elements") && r.out().contains("stored as DOUBLE"), r.out());
    }

    @Test
    void verifyComparesFloat64ValuesInTheirOwnType(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = small(DataType.DOUBLE, 2);
        long k = NetworkParams.of(net).byName("body.W").offset() + 1;
        double before = 0.1;
        double after = Math.nextUp(before);
        // The two values are one float64 ulp apart: read as float32 they would be the same weight.
        assertEquals(Float.floatToRawIntBits((float) before), Float.floatToRawIntBits((float) after));

        net.params().putScalar(k, before);
        Path a = save(net, dir.resolve("a.zip"));
        net.params().putScalar(k, after);
        Path b = save(net, dir.resolve("b.zip"));
        assertEquals(Double.doubleToRawLongBits(before), Double.doubleToRawLongBits(StoredParams.load(a).doubles()[(int) k]));
        assertEquals(Double.doubleToRawLongBits(after), Double.doubleToRawLongBits(StoredParams.load(b).doubles()[(int) k]));

        Run differs = run("verify", "--before", a.toString(), "--after", b.toString(), "--freeze", "body.*");
        assertEquals(1, differs.exit(), differs.err() + differs.out());
        assertTrue(differs.out().lines().anyMatch(l -> l.startsWith("body.W") && l.contains("changed") && l.contains("1 of 12 elements")),
                differs.out());
        assertTrue(differs.out().lines().anyMatch(l -> l.startsWith("body.b") && l.contains("identical")), differs.out());
        assertTrue(differs.out().contains("FAILED: frozen parameters differ: body.W"), differs.out());

        Run same = run("verify", "--before", a.toString(), "--after", a.toString(), "--freeze", "body.*");
        assertEquals(0, same.exit(), same.err() + same.out());
        assertTrue(same.out().contains("OK: every parameter the plan freezes (2) is bit-identical"), same.out());
    }

    @Test
    void verifyReportsAFloat32AndAFloat64ModelAsDifferent(@TempDir Path dir) throws Exception {
        Path f = save(small(DataType.FLOAT, 3), dir.resolve("f.zip"));
        Path d = save(small(DataType.DOUBLE, 3), dir.resolve("d.zip"));
        Run r = run("verify", "--before", f.toString(), "--after", d.toString(), "--freeze", "body.*");
        assertEquals(1, r.exit(), r.err() + r.out());
        String detail = "stored as FLOAT in " + f + ", DOUBLE in " + d;
        for (String name : new String[]{"body.W", "body.b", "head.W", "head.b"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(name) && l.contains("different") && l.endsWith(detail)), r.out());
        }
        assertTrue(r.out().contains("FAILED: frozen parameters differ: body.W, body.b"), r.out());

        Run floats = run("verify", "--before", f.toString(), "--after", f.toString(), "--freeze", "body.*");
        assertEquals(0, floats.exit(), floats.err() + floats.out());
        assertTrue(floats.out().contains("OK: every parameter the plan freezes (2) is bit-identical"), floats.out());
    }
}
