package dev.permafrost.report;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.spark.HeldOutEvaluation;
import dev.permafrost.train.FrozenReference;
import dev.permafrost.train.TrainingListener;
import org.apache.spark.sql.SparkSession;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What each epoch of a run did, for metrics.json and the report: its loss, its held-out scores (MLlib's evaluator over
 * the network's predictions), its speed and its audit; and the loss of a bounded sample of steps. At each epoch's end
 * the server's frozen parameters are compared bit for bit with the values they were frozen with; a difference stops
 * the run there.
 */
public final class EpochHistory implements TrainingListener {
    /** At most this many step losses are kept, however long the run (see {@link StepLossSample}). */
    public static final int STEP_LOSS_POINTS = 2000;

    /** The frozen-parameter check of one epoch's end, and the pushes whose fingerprints were checked during it. */
    public record EpochChecks(long pushesChecked, long shardChecks, int frozenParameters, long frozenElements, String result) {
    }

    /** One epoch in metrics.json; {@code epoch} counts from 1; the test scores are absent without test data. */
    public record Epoch(int epoch, double meanLoss, Optional<Double> testAccuracy, Optional<Double> testWeightedF1, long samples, double seconds,
                 double samplesPerSecond, int frozenParams, int trainableParams, EpochChecks audit) {
    }

    /** The sampled step losses in metrics.json: every {@code stride}-th step of the run. */
    public record StepLosses(long stride, int limit, List<StepLossSample.Point> points) {
    }

    private final SparkSession spark;
    private final Optional<LabeledData> test;
    private final PrintStream out;
    private final StepLossSample steps = new StepLossSample(STEP_LOSS_POINTS);
    private final List<Epoch> epochs = new ArrayList<>();
    private ParamLabels labels;

    public EpochHistory(SparkSession spark, Optional<LabeledData> test, PrintStream out) {
        this.spark = spark;
        this.test = test;
        this.out = out;
    }

    @Override
    public void onEpochStart(int epoch, ParamLabels epochLabels, ParameterServer.Transition transition, Network network) {
        labels = epochLabels;
    }

    @Override
    public void onStep(StepEvent event, Optional<Network> localNetwork) {
        steps.add(event.version() - 1, event.epoch() + (event.step() + 1) / (double) event.stepsInEpoch(), event.meanLoss());
    }

    @Override
    public void onEpochEnd(EpochEnd end) {
        // The trainer has thrown before this point if any of them differs: here they are only recorded.
        List<FrozenReference.ParamCheck> checks = end.frozenChecks();
        long frozenElements = checks.stream().mapToLong(FrozenReference.ParamCheck::elements).sum();
        Optional<HeldOutEvaluation.Scores> scores = test.map(t -> HeldOutEvaluation.of(spark, end.network().get(), t));
        EpochChecks audit = new EpochChecks(end.auditedPushes(), end.shardChecks(), checks.size(), frozenElements,
                checks.isEmpty() ? "nothing frozen" : "identical");
        epochs.add(new Epoch(end.epoch() + 1, end.meanLoss(), scores.map(HeldOutEvaluation.Scores::accuracy),
                scores.map(HeldOutEvaluation.Scores::weightedF1), end.samples(), end.seconds(), end.samplesPerSecond(),
                labels.names(Label.FROZEN).size(), labels.names(Label.TRAINABLE).size(), audit));
        String held = scores.map(s -> String.format(Locale.ROOT, "test accuracy %.4f, weighted F1 %.4f; ", s.accuracy(), s.weightedF1()))
                .orElse("");
        String frozen = checks.isEmpty() ? "nothing frozen"
                : String.format(Locale.ROOT, "%d frozen parameters (%,d elements) bit-identical on the server", checks.size(), frozenElements);
        out.printf(Locale.ROOT, "  epoch %d: %s%s%n", end.epoch() + 1, held, frozen);
    }

    public List<Epoch> epochs() {
        return List.copyOf(epochs);
    }

    public StepLosses stepLosses() {
        return new StepLosses(steps.stride(), STEP_LOSS_POINTS, steps.points());
    }

    /** The last epoch's test accuracy: the accuracy of the trained model. */
    public Optional<Double> finalAccuracy() {
        return epochs.isEmpty() ? Optional.empty() : epochs.get(epochs.size() - 1).testAccuracy();
    }
}
