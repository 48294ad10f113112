package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.WorkerPush;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Trains in one JVM with W simulated workers: each step's global batch is split into W worker batches whose
 * gradients are pushed, in worker order, to an in-process parameter server. It is the reference the
 * distributed trainer must equal bit for bit, and a useful trainer on its own.
 */
public final class LocalTrainer {

    /** The outcome of a run. */
    public record Result(Network network, ParameterServer server, long steps, double lastEpochLoss, int frozenAudits) {
    }

    private final TrainingConfig config;

    public LocalTrainer(TrainingConfig config) {
        this.config = config;
    }

    public Result fit(Network initial, LabeledData data, TrainingListener listener) {
        if (data.size() < config.workers()) {
            throw new IllegalArgumentException("the dataset has " + data.size() + " rows, fewer than the " + config.workers()
                    + " workers: every worker needs at least one sample per step");
        }
        if (initial.outputs() != data.classes()) {
            throw new IllegalArgumentException("the network predicts " + initial.outputs() + " classes but the data has "
                    + data.classes() + ": replace the head or filter the classes");
        }
        FreezeSchedule schedule = config.schedule();
        List<FreezeSchedule.ResolvedPhase> phases = schedule.resolve(initial.params());
        ShardLayout layout = ShardLayout.plan(initial.params(), phases.stream().map(FreezeSchedule.ResolvedPhase::labels).toList(),
                config.maxShardLength());
        ParamLabels labels = FreezeSchedule.labelsAt(phases, 0);
        ParameterServer server = new ParameterServer(layout.withLabels(labels), initial.paramsCopy(), config.optimizer());
        Network network = initial.rebuild(labels, server.assemble());

        long totalSteps = 0;
        int audits = 0;
        double lastLoss = Double.NaN;
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            ParamLabels epochLabels = FreezeSchedule.labelsAt(phases, epoch);
            ParameterServer.Transition transition = new ParameterServer.Transition(List.of(), List.of());
            if (!epochLabels.equals(labels)) {
                transition = server.relabel(layout.withLabels(epochLabels));
                labels = epochLabels;
                network = network.rebuild(labels, server.assemble());
            }
            listener.onEpochStart(epoch, labels, transition, network);
            audits += FrozenAudit.check(network.paramsCopy(), server.layout(), server.frozenFingerprints(), "the local worker", server.version());

            EpochPlan plan = EpochPlan.of(data.size(), config.workers(), config.batchPerWorker(), config.seed(), epoch);
            List<Shard> trainable = server.layout().trainable();
            long started = System.nanoTime();
            long epochSamples = 0;
            double epochLoss = 0;
            for (int step = 0; step < plan.steps(); step++) {
                List<WorkerPush> pushes = new ArrayList<>(config.workers());
                for (int w = 0; w < config.workers(); w++) {
                    int[] range = plan.slice(step, w);
                    DataSet batch = data.batch(plan.order(), range[0], range[1]);
                    Gradients g = network.gradient(batch);
                    pushes.add(new WorkerPush(w, server.version(), g.samples(), g.lossSum(), slices(g.flat(), trainable)));
                }
                ParameterServer.StepReport report = server.step(pushes);
                for (Shard s : trainable) network.writeRange(s.start(), server.trainableValues(s.index()));
                totalSteps++;
                epochSamples += report.samples();
                epochLoss += report.meanLoss() * report.samples();
                if (config.auditEvery() > 0 && totalSteps % config.auditEvery() == 0) {
                    audits += FrozenAudit.check(network.paramsCopy(), server.layout(), server.frozenFingerprints(), "the local worker", report.version());
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                double rate = epochSamples / Math.max(seconds, 1e-9);
                double eta = (plan.steps() - step - 1) * (seconds / (step + 1));
                listener.onStep(new TrainingListener.StepEvent(epoch, step, plan.steps(), report.version(), report.samples(),
                        report.meanLoss(), rate, eta), network);
            }
            audits += FrozenAudit.check(network.paramsCopy(), server.layout(), server.frozenFingerprints(), "the local worker", server.version());
            lastLoss = epochLoss / Math.max(1, epochSamples);
            listener.onEpochEnd(epoch, lastLoss, plan.droppedRows());
        }
        return new Result(network, server, totalSteps, lastLoss, audits);
    }

    /** The trainable shards' ranges of a flat gradient, in layout order: all that a push carries. */
    static List<float[]> slices(float[] flat, List<Shard> trainable) {
        List<float[]> out = new ArrayList<>(trainable.size());
        for (Shard s : trainable) out.add(Arrays.copyOfRange(flat, s.start(), s.end()));
        return out;
    }
}
