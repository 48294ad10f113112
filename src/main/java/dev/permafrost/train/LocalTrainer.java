package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.network.Gradients;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.WorkerPush;
import dev.permafrost.shard.TrainableLayout;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Trains in one JVM with W simulated workers: each step's global batch is split into W worker batches whose
 * gradients are pushed, in worker order, to an in-process parameter server. It is the reference the
 * distributed trainer must equal bit for bit, and a useful trainer on its own.
 */
public final class LocalTrainer {

    /** The outcome of a run. */
    public record Result(Network network, ParameterServer server, long steps, double lastEpochLoss, int frozenAudits,
                         FrozenReference frozenReference) {
    }

    private static final String WHERE = "the local worker";

    private final TrainingConfig config;

    public LocalTrainer(TrainingConfig config) {
        this.config = config;
    }

    public Result fit(Network initial, LabeledData data, TrainingListener listener) {
        if (data.size() < (long) config.workers() * config.batchPerWorker()) {
            throw new IllegalArgumentException("the dataset has " + data.size() + " rows, fewer than one global batch of "
                    + config.workers() + " workers x " + config.batchPerWorker() + " rows; lower train.batch-per-worker or the workers");
        }
        if (initial.outputs() != data.classes()) {
            throw new IllegalArgumentException("the network predicts " + initial.outputs() + " classes but the data has "
                    + data.classes() + ": replace the head or filter the classes");
        }
        FreezePhases phases = FreezePhases.plan(config.schedule(), initial.params(), config.maxShardLength());
        ParameterServer server = new ParameterServer(phases.layout(), initial.paramsCopy(), config.optimizer());
        Network network = initial.rebuild(phases.labels(), server.assemble());
        FrozenReference reference = new FrozenReference();
        reference.record(phases.labels(), () -> initial, 0, FrozenReference.START, name -> true);

        long totalSteps = 0;
        int audits = 0;
        double lastLoss = Double.NaN;
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            Optional<ParameterServer.Transition> transition = phases.enter(epoch, server);
            if (transition.isPresent()) {
                network = network.rebuild(phases.labels(), server.assemble());
                Network entered = network;
                reference.enter(phases.labels(), () -> entered, phases.phase());
            }
            listener.onEpochStart(epoch, phases.labels(), transition.orElse(ParameterServer.Transition.NONE), network);
            int auditsBefore = audits;
            audits += FrozenAudit.check(network.paramsView(), server.layout(), server.frozenFingerprints(), WHERE, server.version());

            EpochPlan plan = EpochPlan.of(data.size(), config.workers(), config.batchPerWorker(), config.seed(), epoch);
            TrainableLayout trainable = server.trainableLayout();
            WorkerNetwork current = WorkerNetwork.whole(network, server.layout());
            long started = System.nanoTime();
            long epochSamples = 0;
            double epochLoss = 0;
            for (int step = 0; step < plan.steps(); step++) {
                List<WorkerPush> pushes = new ArrayList<>(config.workers());
                for (int w = 0; w < config.workers(); w++) {
                    int[] range = plan.slice(step, w);
                    DataSet batch = data.batch(plan.order(), range[0], range[1]);
                    Gradients g = network.gradient(batch);
                    pushes.add(new WorkerPush(w, server.version(), g.samples(), g.lossSum(), RemoteWorker.packed(current, g, trainable)));
                }
                ParameterServer.StepReport report = server.step(pushes);
                server.readTrainableValues(values -> {
                    RemoteWorker.write(current, trainable, java.nio.FloatBuffer.wrap(values));
                    return null;
                });
                totalSteps++;
                epochSamples += report.samples();
                epochLoss += report.meanLoss() * report.samples();
                if (totalSteps % config.auditEvery() == 0) {
                    audits += FrozenAudit.check(network.paramsView(), server.layout(), server.frozenFingerprints(), WHERE, report.version());
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                double rate = epochSamples / Math.max(seconds, 1e-9);
                double eta = (plan.steps() - step - 1) * (seconds / (step + 1));
                listener.onStep(new TrainingListener.StepEvent(epoch, step, plan.steps(), report.version(), report.samples(),
                        report.meanLoss(), rate, eta), Optional.of(network));
            }
            audits += FrozenAudit.check(network.paramsView(), server.layout(), server.frozenFingerprints(), WHERE, server.version());
            lastLoss = epochLoss / Math.max(1, epochSamples);
            Network atEnd = network;
            listener.onEpochEnd(new TrainingListener.EpochEnd(epoch, lastLoss, plan.droppedRows(), epochSamples,
                    (System.nanoTime() - started) / 1e9, 0, audits - auditsBefore, reference.check(initial.params(), server.assemble()), () -> atEnd));
        }
        return new Result(network, server, totalSteps, lastLoss, audits, reference);
    }
}
