package dev.permafrost.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NetworkParamsTest {

    @Test
    void demoNetworkNamesKindsAndShapes() {
        ParamTable t = NetworkParams.of(FashionMlp.build(10, 1));
        assertEquals(List.of("pretrained.fc1.W", "pretrained.fc1.b", "pretrained.bn.gamma", "pretrained.bn.beta",
                "pretrained.bn.mean", "pretrained.bn.log10stdev", "pretrained.fc2.W", "pretrained.fc2.b", "head.W", "head.b"), t.names());
        assertEquals(ParamKind.NORM_STATISTIC, t.byName("pretrained.bn.mean").kind());
        assertEquals(ParamKind.NORM_STATISTIC, t.byName("pretrained.bn.log10stdev").kind());
        assertEquals(ParamKind.NORM_SCALE, t.byName("pretrained.bn.gamma").kind());
        assertEquals(ParamKind.WEIGHT, t.byName("head.W").kind());
        assertEquals(List.of(784L, 256L), t.byName("pretrained.fc1.W").shape());
        assertEquals(List.of("pretrained.fc1", "pretrained.bn", "pretrained.fc2", "head"), t.layerNames());
    }

    @Test
    void offsetsAgreeWithDl4jsOwnViewsForAMultiLayerNetwork() {
        MultiLayerNetwork net = FashionMlp.build(10, 1);
        fillWithIndices(net.params());
        ParamTable t = NetworkParams.of(net);
        assertEquals(net.numParams(), t.totalLength());
        for (NamedParam p : t.params()) {
            INDArray view = net.getLayer(p.layerIndex()).paramTable().get(p.key());
            assertViewAt(view, p);
        }
    }

    @Test
    void unnamedLayersAreNamedByIndexAndWrappersDoNotChangeNames() {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new FrozenLayer(new DenseLayer.Builder().nIn(4).nOut(3).build()))
                .layer(new BatchNormalization.Builder().nOut(3).useLogStd(false).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(3).nOut(2).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        ParamTable t = NetworkParams.of(net);
        assertEquals(List.of("0.W", "0.b", "1.gamma", "1.beta", "1.mean", "1.var", "2.W", "2.b"), t.names());
        assertEquals(ParamKind.NORM_STATISTIC, t.byName("1.var").kind());
    }

    @Test
    void namesSurviveFreezingSavingAndLoading(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var net = dev.permafrost.network.Dl4jNetworks.of(FashionMlp.build(10, 1));
        var labels = dev.permafrost.freeze.FreezePlan.freezing("pretrained.*").resolve(net.params());
        var frozen = net.rebuild(labels, net.paramsCopy());
        assertEquals(net.params().names(), frozen.params().names());
        var file = dir.resolve("m.zip");
        dev.permafrost.network.Dl4jNetworks.save(frozen, file);
        var loaded = dev.permafrost.network.Dl4jNetworks.load(file);
        assertEquals(net.params().names(), loaded.params().names());
        // A wrapped configuration written by DL4J itself keeps its names too now that wrappers carry them.
        var wrapped = (MultiLayerNetwork) frozen.model();
        var viaJson = new MultiLayerNetwork(org.deeplearning4j.nn.conf.MultiLayerConfiguration.fromJson(wrapped.getLayerWiseConfigurations().toJson()));
        viaJson.init();
        assertEquals(net.params().names(), NetworkParams.of(viaJson).names());
    }

    @Test
    void offsetsFollowTopologicalOrderInAComputationGraph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).graphBuilder()
                .addInputs("in")
                .addLayer("encoder", new DenseLayer.Builder().nIn(6).nOut(5).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().nOut(5).build(), "encoder")
                .addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3).build(), "bn")
                .setOutputs("head")
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        fillWithIndices(g.params());
        ParamTable t = NetworkParams.of(g);
        assertEquals(g.numParams(), t.totalLength());
        assertEquals(List.of("encoder", "bn", "head"), t.layerNames());
        Map<String, INDArray> views = g.paramTable();
        for (NamedParam p : t.params()) {
            assertViewAt(views.get(p.layerName() + "_" + p.key()), p);
        }
    }

    private static void fillWithIndices(INDArray flat) {
        float[] indices = new float[(int) flat.length()];
        for (int i = 0; i < indices.length; i++) indices[i] = i; // exact: below 2^24
        flat.assign(Nd4j.createFromArray(indices).reshape(flat.shape()));
    }

    private static void assertViewAt(INDArray view, NamedParam p) {
        assertEquals(p.length(), view.length(), p.name());
        // Every element of DL4J's own view holds its flat index: the set must be exactly [offset, offset+length).
        float[] values = view.dup().data().asFloat();
        java.util.Arrays.sort(values);
        for (int i = 0; i < values.length; i++) assertEquals((float) (p.offset() + i), values[i], p.name());
    }
}
