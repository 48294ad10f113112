package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;

import java.util.List;
import java.util.Optional;

/**
 * The epoch skeleton both trainers share; they differ only in how an epoch's steps are run ({@link Steps}): in this
 * JVM, or by worker tasks against the parameter service. Per epoch: enter the freeze phase the schedule names (the
 * frozen reference records what the new phase freezes), tell the listener, run the steps, then check every frozen
 * parameter of the server's state bit for bit against the values it was frozen with. A difference throws here,
 * before any listener runs, whoever calls the trainer.
 */
final class EpochLoop {
    private EpochLoop() {
    }

    /** What a trainer does inside the skeleton. */
    interface Steps {
        /** The schedule entered a new freeze phase before an epoch; {@code entered} are the values it starts from. */
        void phaseEntered(float[] entered);

        /** The network the listener is shown at an epoch's start. */
        Network atEpochStart();

        /** The server version the epoch starts at (after a resume: the resumed epoch's start). */
        long startVersion(int epoch);

        /** Runs the epoch's steps from version {@code start}. */
        Ran run(int epoch, long start, EpochPlan plan);

        /** After the epoch's check and its listeners (checkpoints). */
        void ended(int epoch);
    }

    /** What an epoch's steps did: mean loss, samples, seconds, and the pushes and shard fingerprints audited. */
    record Ran(double meanLoss, long samples, double seconds, int auditedPushes, long shardChecks) {
    }

    /** Runs epochs {@code firstEpoch} to the last the config asks for. */
    static void run(TrainingConfig config, int rows, int firstEpoch, FreezePhases phases, ParameterServer server, FrozenReference reference,
                    Network initial, TrainingListener listener, Steps steps) {
        for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
            Optional<ParameterServer.Transition> transition = phases.enter(epoch, server);
            if (transition.isPresent()) {
                float[] entered = server.assemble();
                reference.enter(phases.labels(), () -> plain(initial, entered), phases.phase());
                steps.phaseEntered(entered);
            }
            listener.onEpochStart(epoch, phases.labels(), transition.orElse(ParameterServer.Transition.NONE), steps.atEpochStart());
            long start = steps.startVersion(epoch);
            EpochPlan plan = EpochPlan.of(rows, config.workers(), config.batchPerWorker(), config.seed(), epoch);
            Ran ran = steps.run(epoch, start, plan);
            if (server.version() != start + plan.steps()) {
                throw new IllegalStateException("epoch " + (epoch + 1) + " ended at version " + server.version() + ", expected "
                        + (start + plan.steps()));
            }
            float[] atEnd = server.assemble();
            List<FrozenReference.ParamCheck> checks = reference.check(initial.params(), atEnd);
            FrozenReference.requireIdentical(checks, "at the end of epoch " + (epoch + 1) + " the parameter server's frozen parameters");
            ParamLabels labels = phases.labels();
            listener.onEpochEnd(new TrainingListener.EpochEnd(epoch, ran.meanLoss(), plan.droppedRows(), ran.samples(), ran.seconds(),
                    ran.auditedPushes(), ran.shardChecks(), checks, () -> initial.rebuild(labels, atEnd)));
            steps.ended(epoch);
        }
    }

    /** The network with these values and nothing frozen: what a frozen reference reads by name through DL4J. */
    static Network plain(Network initial, float[] flat) {
        return initial.rebuild(ParamLabels.allTrainable(initial.params()), flat);
    }
}
