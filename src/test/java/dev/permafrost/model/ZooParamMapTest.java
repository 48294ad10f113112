package dev.permafrost.model;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.ZooModels;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parameter map agrees with DL4J on models nobody here built. Each parameter's range is written through the map
 * with a value of its own, and then read back through DL4J's own {@code paramTable()} view of that name: every element
 * of every view must hold its parameter's value, so no range is shifted, swapped, cut short or shared.
 */
@Tag("slow")
class ZooParamMapTest {

    @ParameterizedTest
    @ValueSource(strings = {"LeNet", "ResNet50", "SqueezeNet", "Darknet19", "Xception", "VGG16"})
    void everyRangeOfTheMapIsDl4jsOwnViewOfThatName(String zooModel) {
        Model model = ZooModels.init(zooModel, 5);
        ParamTable table = table(model);
        INDArray flat = model.params();
        assertEquals(flat.length(), table.totalLength(), "the map covers every value of params()");

        float[] marks = new float[Math.toIntExact(flat.length())];
        for (int j = 0; j < table.size(); j++) {
            NamedParam p = table.get(j);
            Arrays.fill(marks, Math.toIntExact(p.offset()), Math.toIntExact(p.end()), j + 1); // exact: far below 2^24 parameters
        }
        model.setParams(Nd4j.createFromArray(marks).reshape(flat.shape()));

        Map<String, INDArray> views = dl4jViews(model);
        assertEquals(table.size(), views.size(), "one map entry per DL4J parameter");
        List<String> wrong = new ArrayList<>();
        for (var e : views.entrySet()) {
            int j = table.indexOf(e.getKey());
            INDArray view = e.getValue();
            float expected = j + 1;
            if (j < 0 || view.length() != table.get(j).length() || view.minNumber().floatValue() != expected
                    || view.maxNumber().floatValue() != expected) {
                wrong.add(e.getKey());
            }
        }
        assertEquals(List.of(), wrong, zooModel + ": parameters whose DL4J view is not their range of the map");
    }

    @Test
    void aConvolutionKeepsItsBiasBeforeItsWeightsAndTheMapSaysSo() {
        ParamTable t = table(ZooModels.init("LeNet", 5));
        assertTrue(t.byName("cnn1.b").offset() < t.byName("cnn1.W").offset(), t.names().toString());
        assertEquals(0, t.byName("cnn1.b").offset());
        assertEquals(20, t.byName("cnn1.W").offset());
    }

    @Test
    void aMapWithTwoParametersSwappedIsRefusedNamingThem() {
        MultiLayerNetwork lenet = (MultiLayerNetwork) ZooModels.init("LeNet", 5);
        ParamTable t = NetworkParams.of(lenet);
        NamedParam b = t.byName("cnn1.b");
        NamedParam w = t.byName("cnn1.W");
        // The layout the map once assumed: W first, then b.
        List<NamedParam> swapped = new ArrayList<>(t.params());
        swapped.set(t.indexOf("cnn1.W"), new NamedParam(w.name(), w.layerName(), w.layerIndex(), w.key(), w.shape(), 0, w.length(), w.kind()));
        swapped.set(t.indexOf("cnn1.b"), new NamedParam(b.name(), b.layerName(), b.layerIndex(), b.key(), b.shape(), w.length(), b.length(), b.kind()));
        swapped.sort(java.util.Comparator.comparingLong(NamedParam::offset));
        ParamTable lying = new ParamTable(swapped, t.layerNames());
        // A layout made from it, as a driver with that map would ship it, is refused by a network built from DL4J.
        var lyingLayout = ShardLayout.plan(lying, List.of(FreezePlan.freezing("cnn1.W").resolve(lying)), ShardLayout.DEFAULT_MAX_SHARD_LENGTH);
        var e = assertThrows(IllegalStateException.class, () -> lyingLayout.requireMatches(t));
        assertTrue(e.getMessage().contains("cnn1.W") && e.getMessage().contains("[20, 520)"), e.getMessage());
        ShardLayout.plan(t, List.of(FreezePlan.freezing("cnn1.W").resolve(t)), ShardLayout.DEFAULT_MAX_SHARD_LENGTH).requireMatches(t);
    }

    private static ParamTable table(Model model) {
        return model instanceof ComputationGraph g ? NetworkParams.of(g) : NetworkParams.of((MultiLayerNetwork) model);
    }

    /** DL4J's own views, by the names DL4J's paramTable() gives them, renamed only from "{layer}_{key}" to "{layer}.{key}". */
    private static Map<String, INDArray> dl4jViews(Model model) {
        Map<String, INDArray> out = new java.util.LinkedHashMap<>();
        if (model instanceof ComputationGraph g) {
            for (var layer : g.getLayers()) {
                String name = layer.conf().getLayer().getLayerName();
                for (var e : layer.paramTable().entrySet()) out.put(name + "." + e.getKey(), e.getValue());
            }
        } else {
            MultiLayerNetwork n = (MultiLayerNetwork) model;
            for (int i = 0; i < n.getnLayers(); i++) {
                String name = NetworkParams.layerName(n.getLayer(i), i);
                for (var e : n.getLayer(i).paramTable().entrySet()) out.put(name + "." + e.getKey(), e.getValue());
            }
        }
        return out;
    }
}
