package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.testing.ZooModels;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J's zoo ResNet50 (1x72x72 Fashion-MNIST images, nearest-neighbour upscaled) with its stem and stages 2-3 frozen
 * and stages 4-5 trained: with featurize-once off, so every step runs the whole graph, backward through the shortcut
 * additions beside and above the frozen blocks. Its frozen parameters, read by DL4J's own names, keep every bit, and it
 * trains as well as DL4J's own TransferLearning (setFeatureExtractor on the last vertex of stage 3) plus fit on the same
 * rows in the same order.
 */
@Tag("slow")
class ResNetPartialFreezeTest {
    private static final int SIDE = 72;
    private static final int ROWS = 64;
    private static final int BATCH = 16;
    /** Stated tolerance: the two trainers' loss on the training rows after the same steps, within 2% of each other (Adam's arithmetic differs slightly). */
    private static final double TOLERANCE = 0.02;
    private static final List<String> FROZEN = List.of("stem-*", "res2*", "bn2*", "res3*", "bn3*");

    @Test
    void stagesFourAndFiveTrainAsWithDl4jsTransferLearningWhileTheFrozenStagesKeepEveryBit() {
        LabeledData data = upscaled(Fashion.train(ROWS));
        ComputationGraph pretrained = calibrated(data);
        Map<String, int[]> before = RawBits.byName(pretrained);
        double startLoss = loss(pretrained, data);

        Network start = Dl4jNetworks.readingRows(Dl4jNetworks.of(pretrained.clone()), List.of(1, SIDE, SIDE));
        TrainingConfig config = TrainingConfig.of(1, BATCH, 1, OptimizerConfig.Adam.adam(1e-3),
                FreezeSchedule.constant(FreezePlan.freezing(FROZEN.toArray(String[]::new))));
        var result = new LocalTrainer(config).fit(start, data, TrainingListener.NONE);
        ComputationGraph ours = (ComputationGraph) result.network().model();

        ComputationGraph theirs = new TransferLearning.GraphBuilder(pretrained.clone())
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(1e-3)).l2(0).build())
                .setFeatureExtractor("res3d_branch").build();
        EpochPlan plan = EpochPlan.of(data.size(), 1, BATCH, config.seed(), 0);
        for (int step = 0; step < plan.steps(); step++) {
            int[] range = plan.slice(step, 0);
            theirs.fit(images(data.batch(plan.order(), range[0], range[1])));
        }

        Map<String, int[]> after = RawBits.byName(ours);
        int frozen = 0;
        for (var e : before.entrySet()) {
            String layer = e.getKey().substring(0, e.getKey().lastIndexOf('.'));
            boolean isFrozen = FROZEN.stream().anyMatch(p -> layer.startsWith(p.substring(0, p.length() - 1)));
            if (isFrozen) {
                assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " is frozen: not one bit may change");
                frozen++;
            }
        }
        assertTrue(frozen > 100, "the stem and stages 2-3 hold " + frozen + " parameters");
        assertFalse(Arrays.equals(before.get("res5c_branch2c.W"), after.get("res5c_branch2c.W")), "stage 5 trains");
        assertFalse(Arrays.equals(before.get("bn4a_branch2a.mean"), after.get("bn4a_branch2a.mean")), "stage 4's running statistics follow the batches");

        double oursLoss = loss(ours, data);
        double theirsLoss = loss(theirs, data);
        System.out.printf(java.util.Locale.ROOT, "ResNet50, stem and stages 2-3 frozen, %d steps of %d rows: loss %.4f -> Permafrost %.4f, DL4J TransferLearning %.4f%n",
                plan.steps(), BATCH, startLoss, oursLoss, theirsLoss);
        assertTrue(theirsLoss < startLoss, "DL4J's fine-tuning lowers the loss: " + startLoss + " -> " + theirsLoss);
        assertTrue(Math.abs(oursLoss - theirsLoss) <= TOLERANCE * theirsLoss,
                "loss after " + plan.steps() + " steps: Permafrost " + oursLoss + ", DL4J " + theirsLoss + " (from " + startLoss + ")");
    }

    /**
     * A small pretrained state made by DL4J: the zoo's He-initialised weights, with every BatchNorm's running statistics
     * moved to within 3% of the statistics of the 64 rows (three passes with a no-op updater and the running averages'
     * decay at 0.3), so the frozen stages normalise as a trained network's do and their outputs stay finite. (A decay of 0
     * would divide by the zero variance of a dead channel in DL4J's log-stdev update.)
     */
    private static ComputationGraph calibrated(LabeledData data) {
        ComputationGraph zoo = (ComputationGraph) ZooModels.init("ResNet50", 10);
        var conf = zoo.getConfiguration().clone();
        for (var v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BatchNormalization bn) bn.setDecay(0.3);
        }
        ComputationGraph once = new ComputationGraph(conf);
        once.init(zoo.params().dup(), false);
        once = new TransferLearning.GraphBuilder(once)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new NoOp()).l2(0).build()).build();
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        for (int pass = 0; pass < 3; pass++) once.fit(images(data.batch(all, 0, all.length)));
        ComputationGraph pretrained = new ComputationGraph(zoo.getConfiguration().clone());
        pretrained.init(once.params().dup(), false);
        return pretrained;
    }

    /** Mean cross-entropy of the model's inference-mode output on every row, computed here from the probabilities. */
    private static double loss(ComputationGraph g, LabeledData data) {
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        INDArray p = g.outputSingle(false, images(data.batch(all, 0, all.length)).getFeatures());
        double sum = 0;
        for (int i = 0; i < data.size(); i++) sum -= Math.log(Math.max(p.getDouble(i, data.labels()[i]), 1e-30));
        return sum / data.size();
    }

    private static DataSet images(DataSet flat) {
        return new DataSet(flat.getFeatures().reshape('c', flat.getFeatures().size(0), 1, SIDE, SIDE), flat.getLabels());
    }

    private static LabeledData upscaled(LabeledData small) {
        float[] out = new float[small.size() * SIDE * SIDE];
        for (int r = 0; r < small.size(); r++) {
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    out[(r * SIDE + y) * SIDE + x] = small.features()[r * 784 + (y * 28 / SIDE) * 28 + x * 28 / SIDE];
                }
            }
        }
        return new LabeledData(out, small.labels(), SIDE * SIDE, small.classes());
    }
}
