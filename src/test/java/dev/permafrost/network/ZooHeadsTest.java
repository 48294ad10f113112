package dev.permafrost.network;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezePlanException;
import dev.permafrost.model.NetworkParams;
import dev.permafrost.testing.ZooModels;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.zoo.model.SimpleCNN;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Heads of every kind DL4J's zoo builds: an output layer, a parameter-free loss over pooling, and no loss at all. */
@Tag("slow")
class ZooHeadsTest {

    @Test
    void underAParameterFreeLossTheHeadIsTheLastLayerWithParametersAndItCanBeReplaced() {
        for (String zoo : List.of("SqueezeNet", "Darknet19")) {
            Network n = Dl4jNetworks.of((ComputationGraph) ZooModels.init(zoo, 10));
            String expected = zoo.equals("SqueezeNet") ? "conv10" : "convolution2d_19";
            assertEquals(expected, n.head().layer(), zoo);
            assertEquals(10, n.outputs(), zoo + ": the classes are the head's width, not the loss layer's 0");
            assertEquals("loss", n.head().output());

            Network five = n.replaceHead(5, 7);
            assertEquals(5, five.outputs(), zoo);
            assertEquals(5, five.output(Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64)).size(1), zoo + ": DL4J's output has 5 columns");
            var labels = Nd4j.zeros(DataType.FLOAT, 2, 5);
            labels.putScalar(0, 4, 1);
            labels.putScalar(1, 0, 1);
            var g = five.gradient(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64), labels));
            assertTrue(Double.isFinite(g.lossSum()), zoo + ": a 5-class batch trains");
        }
    }

    @Test
    void aModelWithoutAnOutputOrLossLayerIsRefusedAtLoadNamingItsLastLayer() {
        MultiLayerNetwork simple = (MultiLayerNetwork) SimpleCNN.builder().numClasses(10).inputShape(new int[]{3, 48, 48}).build().init();
        var e = assertThrows(IllegalArgumentException.class, () -> Dl4jNetworks.of(simple));
        int last = simple.getnLayers() - 1;
        String name = NetworkParams.layerName(simple.getLayer(last), last);
        assertTrue(e.getMessage().contains("the model ends in " + name + " (ActivationLayer), not an output or loss layer"), e.getMessage());
    }

    @Test
    void theFreezesEverythingHintNamesALayerWithParametersAndAllButLastCountsOnlyThose() {
        Network squeeze = Dl4jNetworks.of((ComputationGraph) ZooModels.init("SqueezeNet", 10));
        var e = assertThrows(FreezePlanException.class, () -> FreezePlan.freezing("*").resolve(squeeze.params()));
        assertTrue(e.getMessage().contains("'conv10.*'"), e.getMessage());
        // Following the hint works.
        var labels = FreezePlan.parse(List.of("*"), List.of("conv10.*")).resolve(squeeze.params());
        assertFalse(labels.isFrozen(squeeze.params().indexOf("conv10.W")));
        // all-but-last:1 leaves the head (conv10) trainable, though four parameter-free layers stand above it.
        var allButLast = FreezePlan.freezing("all-but-last:1").resolve(squeeze.params());
        assertFalse(allButLast.isFrozen(squeeze.params().indexOf("conv10.W")));
        assertTrue(allButLast.isFrozen(squeeze.params().indexOf("fire9_exp3x3.W")));
    }

    @Test
    void aMultiLayerNetworkUnderALossLayerHasItsLastDenseLayerAsHeadAndItCanBeReplaced() {
        var conf = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).list()
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(784).nOut(16).activation(org.nd4j.linalg.activations.Activation.RELU).build())
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(16).nOut(10).activation(org.nd4j.linalg.activations.Activation.IDENTITY).build())
                .layer(new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .layer(new org.deeplearning4j.nn.conf.layers.LossLayer.Builder(org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Network n = Dl4jNetworks.of(net);
        assertEquals("1", n.head().layer());
        assertEquals(List.of("2", "3"), n.head().between());
        assertEquals(10, n.outputs());
        Network five = n.replaceHead(5, 11);
        assertEquals(5, five.outputs());
        var labels = Nd4j.zeros(DataType.FLOAT, 2, 5);
        labels.putScalar(0, 4, 1);
        labels.putScalar(1, 2, 1);
        assertTrue(Double.isFinite(five.gradient(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 784), labels)).lossSum()));
    }
}
