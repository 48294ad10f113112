package dev.permafrost.network;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.model.ModelSpec;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a frozen prefix may be computed once, and that training the suffix on its outputs gives the same gradient bits. */
class FrozenPrefixTest {

    private static FrozenPrefix.Decision decide(Network plain, String... frozen) {
        ParamLabels labels = FreezePlan.freezing(frozen).resolve(plain.params());
        Network built = plain.rebuild(labels, plain.paramsCopy());
        return FrozenPrefix.decide(built, labels, ShardLayout.plan(plain.params(), labels));
    }

    @Test
    void theFrozenBottomLayersAreAPrefixAndTheSuffixStartsAtTheFirstTrainableLayersParameters() {
        Network plain = Dl4jNetworks.of(FashionMlp.build(10, 3));
        FrozenPrefix p = decide(plain, "pretrained.*").prefix().orElseThrow();
        assertEquals(3, p.layers());
        assertEquals(plain.params().byName(FashionMlp.HEAD + ".W").offset(), p.paramOffset());
        FrozenPrefix first = decide(plain, FashionMlp.FC1 + ".*").prefix().orElseThrow();
        assertEquals(1, first.layers());
    }

    @Test
    void invalidPrefixesAreSkippedWithTheirReason() {
        Network plain = Dl4jNetworks.of(FashionMlp.build(10, 3));
        assertEquals("nothing is frozen", decide(plain).reason());
        String above = decide(plain, FashionMlp.FC2 + ".*").reason();
        assertTrue(above.contains("no frozen prefix"), above);
        // Dropout in a frozen prefix does nothing (FrozenLayer runs it in inference mode): the prefix is kept.
        var dropout = new ModelSpec(784, List.of(new ModelSpec.LayerSpec("pretrained.fc1", "dense", 32, "relu", 0.5),
                new ModelSpec.LayerSpec("head", "output", 10, "softmax", 0)));
        assertTrue(decide(Dl4jNetworks.of(dropout.build(3)), "pretrained.*").prefix().isPresent());
        var headFrozen = new ModelSpec(784, List.of(new ModelSpec.LayerSpec("pretrained.fc1", "dense", 32, "relu", 0),
                new ModelSpec.LayerSpec("mid", "dense", 16, "relu", 0), new ModelSpec.LayerSpec("top", "dense", 16, "relu", 0),
                new ModelSpec.LayerSpec("head", "output", 10, "softmax", 0)));
        String aboveTrainable = decide(Dl4jNetworks.of(headFrozen.build(3)), "pretrained.*", "top.*").reason();
        assertTrue(aboveTrainable.contains("layer top is frozen above trainable layer mid"), aboveTrainable);
    }

    @Test
    void theSuffixOnThePrefixOutputsGivesTheWholeNetworksGradientBitForBit() {
        for (String frozen : new String[]{"pretrained.*", FashionMlp.FC1 + ".*"}) {
            for (int batch : new int[]{16, 32}) suffixGradientMatches(frozen, batch);
        }
    }

    private static void suffixGradientMatches(String frozen, int size) {
        Network plain = Dl4jNetworks.of(FashionMlp.build(10, 5));
        ParamLabels labels = FreezePlan.freezing(frozen).resolve(plain.params());
        float[] flat = plain.paramsCopy();
        Network whole = plain.rebuild(labels, flat);
        FrozenPrefix p = FrozenPrefix.decide(whole, labels, ShardLayout.plan(plain.params(), labels)).prefix().orElseThrow();
        Network suffix = p.suffix(whole, labels, flat);
        var data = Fashion.train(300);
        // The prefix computed in chunks of the batch size, as the executors compute and cache it: BLAS may pick another
        // kernel for another row count (seen on one of this project's machines: 300 rows at once gave other last bits).
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        for (int from = 7; from + size <= 200; from += 61) {
            DataSet batch = data.batch(all, from, from + size);
            float[] g = whole.gradient(batch).flat();
            DataSet onFeatures = new DataSet(p.features(whole, batch.getFeatures()), batch.getLabels());
            float[] s = suffix.gradient(onFeatures).flat();
            assertArrayEquals(RawBits.of(Arrays.copyOfRange(g, p.paramOffset(), g.length)), RawBits.of(s), frozen + ", batch " + size + ", rows " + from);
        }
    }
}
