package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Gradients;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.testing.ZooModels;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Partial freezes of DL4J's zoo LeNet, proven by DL4J's own names: the parameters read through each model's
 * {@code paramTable()} views, never through Permafrost's offsets. And a map that lies about DL4J's layout (the one
 * Permafrost once assumed: a convolution's W before its b) is caught by the checks, not confirmed by them.
 */
@Tag("slow")
class ZooFreezeTest {
    private final LabeledData data = Fashion.train(256);

    private static Network lenet() {
        return Dl4jNetworks.readingRows(Dl4jNetworks.of((MultiLayerNetwork) ZooModels.init("LeNet", 10)), List.of(1, 28, 28));
    }

    private static TrainingConfig config() {
        return TrainingConfig.of(2, 16, 1, OptimizerConfig.Adam.adam(1e-3),
                FreezeSchedule.constant(FreezePlan.freezing("cnn*.W", "ffn1.*")));
    }

    @Test
    void lenetWithOnlyConvolutionWeightsFrozenKeepsThemByDl4jsNamesAndTrainsTheBiases() {
        Network start = lenet();
        Map<String, int[]> before = RawBits.byName(start.model());
        List<TrainingListener.EpochEnd> ends = new ArrayList<>();
        var result = train(start, ends);
        Map<String, int[]> after = RawBits.byName(result.network().model());
        for (String frozen : List.of("cnn1.W", "cnn2.W", "ffn1.W", "ffn1.b")) {
            assertArrayEquals(before.get(frozen), after.get(frozen), frozen + " is frozen: not one bit may change");
        }
        for (String trained : List.of("cnn1.b", "cnn2.b", "output.W", "output.b")) {
            assertFalse(java.util.Arrays.equals(before.get(trained), after.get(trained)), trained + " is trainable and must move");
        }
        assertTrue(ends.stream().allMatch(TrainingListener.EpochEnd::frozenIdentical), "the epoch-end checks pass");
        assertTrue(result.frozenReference().check(result.network()).stream().allMatch(FrozenReference.ParamCheck::identical));
    }

    @Test
    void aMapThatPutsConvolutionWeightsBeforeTheirBiasesFailsTheChecksInsteadOfPassingThem() {
        Network start = new LyingNetwork(lenet());
        List<TrainingListener.EpochEnd> ends = new ArrayList<>();
        // Under the lying map the server frees the last 20 elements of cnn1.W (they sit where it thinks cnn1.b is). The
        // epoch-end check reads the server through the map and the reference through DL4J: they disagree, and the
        // trainer stops there, before any listener sees the epoch.
        var e = assertThrows(dev.permafrost.shard.FrozenCopyMismatchException.class, () -> train(start, ends));
        assertTrue(e.getMessage().contains("at the end of epoch 1") && e.getMessage().contains("cnn1.W") && e.getMessage().contains("cnn2.W"),
                e.getMessage());
        assertTrue(ends.isEmpty(), "no listener saw the failed epoch");
    }

    /** One epoch of the single-process trainer, every epoch's end (with its frozen checks) collected in {@code ends}. */
    private LocalTrainer.Result train(Network start, List<TrainingListener.EpochEnd> ends) {
        return new LocalTrainer(config()).fit(start, data, new TrainingListener() {
            @Override
            public void onEpochEnd(EpochEnd end) {
                ends.add(end);
            }
        });
    }

    /** A network whose map has each convolution's W before its b: the layout once assumed, not DL4J's. */
    private record LyingNetwork(Network real, ParamTable lie) implements Network {
        LyingNetwork(Network real) {
            this(real, lie(real.params()));
        }

        private static ParamTable lie(ParamTable truth) {
            List<NamedParam> out = new ArrayList<>();
            long at = 0;
            for (String layer : truth.layerNames()) {
                List<NamedParam> ofLayer = truth.params().stream().filter(p -> p.layerName().equals(layer))
                        .sorted(java.util.Comparator.comparing(p -> p.key().equals("W") ? 0 : 1)).toList();
                for (NamedParam p : ofLayer) {
                    out.add(new NamedParam(p.name(), p.layerName(), p.layerIndex(), p.key(), p.shape(), at, p.length(), p.kind()));
                    at += p.length();
                }
            }
            return new ParamTable(out, truth.layerNames());
        }

        @Override
        public ParamTable params() {
            return lie;
        }

        @Override
        public float[] paramsCopy() {
            return real.paramsCopy();
        }

        @Override
        public FloatBuffer paramsView() {
            return real.paramsView();
        }

        @Override
        public void writeRange(int offset, float[] source, int from, int length) {
            real.writeRange(offset, source, from, length);
        }

        @Override
        public void writeRange(int offset, FloatBuffer source, int length) {
            real.writeRange(offset, source, length);
        }

        @Override
        public Gradients gradient(DataSet batch) {
            return real.gradient(batch);
        }

        @Override
        public INDArray output(INDArray features) {
            return real.output(features);
        }

        @Override
        public Network rebuild(ParamLabels labels, float[] flat) {
            // DL4J wraps layers by the real names; the lie is only about where they live in the flat vector.
            return new LyingNetwork(real.rebuild(new ParamLabels(real.params(), relabel(labels, real.params())), flat), lie);
        }

        private static List<dev.permafrost.freeze.Label> relabel(ParamLabels labels, ParamTable truth) {
            List<dev.permafrost.freeze.Label> out = new ArrayList<>();
            for (NamedParam p : truth.params()) out.add(labels.label(p.name()));
            return out;
        }

        @Override
        public Model model() {
            return real.model();
        }

        @Override
        public int outputs() {
            return real.outputs();
        }

        @Override
        public int inputs() {
            return real.inputs();
        }

        @Override
        public dev.permafrost.network.Head head() {
            return real.head();
        }

        @Override
        public Network replaceHead(int classes, long seed) {
            throw new UnsupportedOperationException();
        }
    }
}
