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
        EpochPlan.requireOneGlobalBatch(data.size(), config.workers(), config.batchPerWorker());
        if (initial.outputs() != data.classes()) {
            throw new IllegalArgumentException("the network predicts " + initial.outputs() + " classes but the data has "
                    + data.classes() + ": replace the head or filter the classes");
        }
        FreezePhases phases = FreezePhases.plan(config.schedule(), initial.params(), config.maxShardLength());
        ParameterServer server = new ParameterServer(phases.layout(), initial.paramsCopy(), config.optimizer());
        FrozenReference reference = new FrozenReference();
        reference.record(phases.labels(), () -> initial, 0, FrozenReference.START, name -> true);
        InProcessSteps steps = new InProcessSteps(data, server, phases, initial.rebuild(phases.labels(), server.assemble()), listener);
        EpochLoop.run(config, data.size(), 0, phases, server, reference, initial, listener, steps);
        return new Result(steps.network, server, server.version(), steps.lastLoss, steps.audits, reference);
    }

    /** An epoch's steps in this JVM: every worker's gradient in turn, pushed in worker order to the in-process server. */
    private final class InProcessSteps implements EpochLoop.Steps {
        private final LabeledData data;
        private final ParameterServer server;
        private final FreezePhases phases;
        private final TrainingListener listener;
        private Network network;
        private long totalSteps;
        private int audits;
        private double lastLoss = Double.NaN;

        InProcessSteps(LabeledData data, ParameterServer server, FreezePhases phases, Network network, TrainingListener listener) {
            this.data = data;
            this.server = server;
            this.phases = phases;
            this.network = network;
            this.listener = listener;
        }

        @Override
        public void phaseEntered(float[] entered) {
            network = network.rebuild(phases.labels(), entered);
        }

        @Override
        public Network atEpochStart() {
            return network;
        }

        @Override
        public long startVersion(int epoch) {
            return server.version();
        }

        @Override
        public EpochLoop.Ran run(int epoch, long start, EpochPlan plan) {
            int auditsBefore = audits;
            audits += FingerprintCheck.check(network.paramsView(), server.layout(), server.frozenFingerprints(), WHERE, server.version());
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
                    pushes.add(new WorkerPush(w, server.version(), g.samples(), g.lossSum(), current.packedGradients(g, trainable)));
                }
                ParameterServer.StepReport report = server.step(pushes);
                server.readTrainableValues(values -> {
                    current.writeTrainable(trainable, java.nio.FloatBuffer.wrap(values));
                    return null;
                });
                totalSteps++;
                epochSamples += report.samples();
                epochLoss += report.meanLoss() * report.samples();
                if (totalSteps % config.auditEvery() == 0) {
                    audits += FingerprintCheck.check(network.paramsView(), server.layout(), server.frozenFingerprints(), WHERE, report.version());
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                double rate = epochSamples / Math.max(seconds, 1e-9);
                double eta = (plan.steps() - step - 1) * (seconds / (step + 1));
                listener.onStep(new TrainingListener.StepEvent(epoch, step, plan.steps(), report.version(), report.samples(),
                        report.meanLoss(), rate, eta), Optional.of(network));
            }
            audits += FingerprintCheck.check(network.paramsView(), server.layout(), server.frozenFingerprints(), WHERE, server.version());
            lastLoss = epochLoss / Math.max(1, epochSamples);
            return new EpochLoop.Ran(lastLoss, epochSamples, (System.nanoTime() - started) / 1e9, 0, audits - auditsBefore);
        }

        @Override
        public void ended(int epoch) {
            // nothing to write: the single-process trainer keeps no checkpoints
        }
    }
}
