package dev.permafrost.network;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.testing.RealModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frozen convolutional backbone, in a MultiLayerNetwork and in a residual ComputationGraph, with BatchNorm and dropout
 * inside: it runs in inference mode, and the layers above it trained on its outputs computed once get the whole
 * network's gradient bit for bit, whether the boundary gives flat rows or an image.
 */
class RealModelsPrefixTest {
    private static final int BATCH = 16;

    private static Network cnn() {
        return Dl4jNetworks.of(RealModels.cnn(10, true).build(11));
    }

    private static Network graph() {
        return Dl4jNetworks.readingRows(Dl4jNetworks.of(RealModels.residual(10, 12)), List.of(1, 28, 28));
    }

    @Test
    void aFrozenBackboneWithDropoutAndBatchNormRunsInInferenceMode() {
        DataSet batch = Fashion.train(64).batch(new int[]{3, 9, 4, 1, 7, 22, 40, 13}, 0, 8);
        for (Network plain : new Network[]{cnn(), graph()}) {
            ParamLabels frozen = (plain.params().indexOf("backbone.conv1.W") >= 0 ? FreezePlan.freezing("backbone.*")
                    : FreezePlan.freezing("stem.*", "block1.*")).resolve(plain.params());
            Network whole = plain.rebuild(frozen, plain.paramsCopy());
            // Dropout in training mode draws a new mask each pass: two passes over the same batch would differ.
            assertArrayEquals(RawBits.of(whole.gradient(batch).flat()), RawBits.of(whole.gradient(batch).flat()));
            Network trainable = plain.rebuild(ParamLabels.allTrainable(plain.params()), plain.paramsCopy());
            assertFalse(Arrays.equals(RawBits.of(trainable.gradient(batch).flat()), RawBits.of(trainable.gradient(batch).flat())),
                    "control: with the backbone trainable its dropout is active and the gradients differ");
        }
    }

    @Test
    void theBoundaryIsTheLastFrozenLayerOrVertexAndImagesAreKeptFlat() {
        FrozenPrefix cnn = decide(cnn(), "backbone.*");
        assertEquals("backbone.pool2", cnn.boundary());
        assertEquals(16 * 7 * 7, cnn.outputWidth());
        assertEquals(List.of(), cnn.imageShape(), "the dense head reads the pooled image flattened");
        FrozenPrefix firstBlock = decide(cnn(), "backbone.conv1.*", "backbone.bn1.*");
        assertEquals("backbone.pool1", firstBlock.boundary(), "pooling is the same in training; the dropout above it trains with conv2");
        assertEquals(List.of(8, 14, 14), firstBlock.imageShape());

        FrozenPrefix backbone = decide(graph(), "stem.*", "block1.*");
        assertEquals("block1.pool", backbone.boundary());
        assertEquals(List.of(8, 7, 7), backbone.imageShape());
        // An output layer right above the block: the boundary's place among the layers is not its vertex index.
        FrozenPrefix shortHead = decide(Dl4jNetworks.readingRows(Dl4jNetworks.of(RealModels.residual(10, 12, 0.25, false)), List.of(1, 28, 28)),
                "stem.*", "block1.*");
        assertEquals("block1.pool", shortHead.boundary());
        FrozenPrefix stem = decide(graph(), "stem.*");
        assertEquals("stem.pool", stem.boundary(), "the residual block reads the stem's output twice, through one boundary");
        assertEquals(List.of(8, 14, 14), stem.imageShape());
    }

    @Test
    void aFrozenVertexThatIsNotBelowASingleBoundaryIsNotComputedOnce() {
        Network g = graph();
        ParamLabels labels = FreezePlan.freezing("block1.conv1.*").resolve(g.params());
        Network whole = g.rebuild(labels, g.paramsCopy());
        var d = FrozenPrefix.decide(whole, labels, ShardLayout.plan(g.params(), labels));
        assertTrue(d.prefix().isEmpty() && d.reason().contains("no single vertex"), d.reason());
    }

    @Test
    void theSuffixOnTheBoundaryOutputsGivesTheWholeNetworksGradientBitForBit() {
        suffixMatches(cnn(), "backbone.*");
        // Without the dropout layer: above the boundary it trains, and its masks are random on both sides.
        suffixMatches(Dl4jNetworks.of(RealModels.cnn(10, false).build(11)), "backbone.conv1.*", "backbone.bn1.*");
        suffixMatches(graph(), "stem.*", "block1.*");
        suffixMatches(Dl4jNetworks.readingRows(Dl4jNetworks.of(RealModels.residual(10, 12, 0.25, false)), List.of(1, 28, 28)), "stem.*", "block1.*");
        suffixMatches(Dl4jNetworks.readingRows(Dl4jNetworks.of(RealModels.residual(10, 12, 0)), List.of(1, 28, 28)), "stem.*");
    }

    private static FrozenPrefix decide(Network plain, String... patterns) {
        ParamLabels labels = FreezePlan.freezing(patterns).resolve(plain.params());
        Network whole = plain.rebuild(labels, plain.paramsCopy());
        var d = FrozenPrefix.decide(whole, labels, ShardLayout.plan(plain.params(), labels));
        assertTrue(d.prefix().isPresent(), d.reason());
        return d.prefix().get();
    }

    private static void suffixMatches(Network plain, String... patterns) {
        ParamLabels labels = FreezePlan.freezing(patterns).resolve(plain.params());
        float[] flat = plain.paramsCopy();
        Network whole = plain.rebuild(labels, flat);
        FrozenPrefix p = FrozenPrefix.decide(whole, labels, ShardLayout.plan(plain.params(), labels)).prefix().orElseThrow();
        Network suffix = p.suffix(whole, labels, flat);
        var data = Fashion.train(128);
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = (i * 37) % order.length;
        for (int from = 0; from + BATCH <= 96; from += 32) {
            DataSet batch = data.batch(order, from, from + BATCH);
            float[] g = whole.gradient(batch).flat();
            // The features computed in chunks of the batch size, as the executors compute and cache them.
            INDArray features = p.features(whole, batch.getFeatures());
            float[] s = suffix.gradient(new DataSet(features, batch.getLabels())).flat();
            assertArrayEquals(RawBits.of(Arrays.copyOfRange(g, p.paramOffset(), g.length)), RawBits.of(s),
                    String.join(",", patterns) + ", rows from " + from);
        }
    }
}
