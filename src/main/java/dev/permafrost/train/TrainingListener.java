package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;

import java.util.Optional;

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

    default void onEpochEnd(int epoch, double meanLoss, int droppedRows) {
    }

    TrainingListener NONE = new TrainingListener() {
    };
}
