package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Progress callbacks from a training run; every method has a no-op default. */
public interface TrainingListener {

    /** A training step just finished. */
    record StepEvent(int epoch, int step, int stepsInEpoch, long version, long samples, double meanLoss,
                     double samplesPerSecond, double etaSeconds) {
    }

    /** An epoch starts under {@code labels}; {@code transition} is what changed at its start ({@code Transition.NONE} if nothing). */
    default void onEpochStart(int epoch, ParamLabels labels, ParameterServer.Transition transition, Network network) {
    }

    /** A step finished; {@code localNetwork} is the worker's network when it runs in this JVM, empty when workers are remote. */
    default void onStep(StepEvent event, Optional<Network> localNetwork) {
    }

    /**
     * An epoch finished.
     *
     * @param meanLoss      the mean training loss over the epoch's samples
     * @param droppedRows   rows after the last full global batch, left out of this epoch
     * @param samples       samples trained on in this epoch
     * @param seconds       the epoch's wall time, task start-up included
     * @param auditedPushes pushes this epoch whose frozen fingerprints were checked (every one matched, or the run stopped)
     * @param shardChecks   frozen shards checked in those pushes
     * @param frozenChecks  every frozen parameter of the server's state at the epoch's end, compared bit for bit with
     *                      the value it was frozen with
     * @param network       the network with the epoch's final parameters, built on demand
     */
    record EpochEnd(int epoch, double meanLoss, int droppedRows, long samples, double seconds, long auditedPushes, long shardChecks,
                    List<FrozenReference.ParamCheck> frozenChecks, Supplier<Network> network) {
        public double samplesPerSecond() {
            return samples / Math.max(seconds, 1e-9);
        }

        /** True when every frozen parameter is bit-identical to its reference (also when nothing is frozen). */
        public boolean frozenIdentical() {
            return frozenChecks.stream().allMatch(FrozenReference.ParamCheck::identical);
        }
    }

    default void onEpochEnd(EpochEnd end) {
    }

    TrainingListener NONE = new TrainingListener() {
    };
}
