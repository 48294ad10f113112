package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezePlanException;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.model.NamedParam;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fully frozen layers run in inference mode; a frozen layer with trainable layers below still passes gradients. */
class FrozenLayersTest {
    private final LabeledData data = Fashion.train(256);

    private static double additivityError(Network net, LabeledData data) {
        int[] rows = new int[64];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        float[] a = net.gradient(data.batch(rows, 0, 32)).flat();
        float[] b = net.gradient(data.batch(rows, 32, 64)).flat();
        float[] ab = net.gradient(data.batch(rows, 0, 64)).flat();
        NamedParam head = net.params().byName("head.W");
        double err = 0;
        double scale = 0;
        for (int i = (int) head.offset(); i < head.end(); i++) {
            err = Math.max(err, Math.abs(a[i] + b[i] - ab[i]));
            scale = Math.max(scale, Math.abs(ab[i]));
        }
        return err / scale;
    }

    @Test
    void aFrozenBatchNormUsesItsRunningStatisticsSoGradientsAddUpOverBatches() {
        Network base = Dl4jNetworks.of(FashionMlp.build(10, 4));
        float[] params = base.paramsCopy();
        ParamLabels frozen = FreezePlan.freezing("pretrained.*").resolve(base.params());
        // In inference mode each sample's gradient is independent of its batch: grad(A∪B) = grad(A) + grad(B).
        double inference = additivityError(base.rebuild(frozen, params), data);
        assertTrue(inference < 1e-4, "frozen block should run in inference mode, relative error " + inference);
        // Contrast: the same network with BatchNorm training normalises by batch statistics, and the sums differ.
        double training = additivityError(base.rebuild(ParamLabels.allTrainable(base.params()), params), data);
        assertTrue(training > 1e-2, "train-mode BatchNorm should make gradients batch-dependent, relative error " + training);
    }

    @Test
    void aFrozenMiddleLayerPassesGradientsToTrainableLayersBelowAndKeepsItsBits() {
        var schedule = FreezeSchedule.constant(FreezePlan.freezing("pretrained.fc2.*"));
        Network start = Dl4jNetworks.of(FashionMlp.build(10, 4));
        float[] before = start.paramsCopy();
        var result = new LocalTrainer(TrainingConfig.of(2, 16, 1, OptimizerConfig.Adam.adam(1e-3), schedule)).fit(start, data, TrainingListener.NONE);
        float[] after = result.network().paramsCopy();
        NamedParam fc2 = start.params().byName("pretrained.fc2.W");
        NamedParam fc1 = start.params().byName("pretrained.fc1.W");
        assertArrayEquals(RawBits.of(Arrays.copyOfRange(before, (int) fc2.offset(), (int) fc2.end())),
                RawBits.of(Arrays.copyOfRange(after, (int) fc2.offset(), (int) fc2.end())));
        assertFalse(Arrays.equals(Arrays.copyOfRange(before, (int) fc1.offset(), (int) fc1.end()),
                Arrays.copyOfRange(after, (int) fc1.offset(), (int) fc1.end())), "fc1 below the frozen layer must train");
    }

    @Test
    void aFrozenBatchNormAboveTrainableLayersIsRefusedWithTheFix() {
        Network start = Dl4jNetworks.of(FashionMlp.build(10, 4));
        ParamLabels labels = FreezePlan.freezing("pretrained.bn.*").resolve(start.params());
        var e = assertThrows(FreezePlanException.class, () -> start.rebuild(labels, start.paramsCopy()));
        assertTrue(e.getMessage().contains("'pretrained.bn'") && e.getMessage().contains("--keep-trainable 'pretrained.bn.*'"), e.getMessage());
    }

    @Test
    void aReplacedHeadIsSeededAndKeepsEveryOtherBit() {
        Network pretrained = Dl4jNetworks.of(FashionMlp.build(10, 4));
        Network a = pretrained.replaceHead(5, 99);
        Network b = pretrained.replaceHead(5, 99);
        assertArrayEquals(RawBits.of(a.paramsCopy()), RawBits.of(b.paramsCopy()), "the same seed must give the same head");
        org.junit.jupiter.api.Assertions.assertEquals(5, a.outputs());
        org.junit.jupiter.api.Assertions.assertEquals(pretrained.params().names(), a.params().names());
        for (NamedParam p : pretrained.params().params()) {
            if (!p.name().startsWith("pretrained.")) continue;
            NamedParam q = a.params().byName(p.name());
            assertArrayEquals(RawBits.of(Arrays.copyOfRange(pretrained.paramsCopy(), (int) p.offset(), (int) p.end())),
                    RawBits.of(Arrays.copyOfRange(a.paramsCopy(), (int) q.offset(), (int) q.end())), p.name());
        }
    }
}
