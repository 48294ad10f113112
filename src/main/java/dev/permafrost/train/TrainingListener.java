package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.ps.ParameterServer;

/** Progress callbacks from a training run; every method has a no-op default. */
public interface TrainingListener {

    /** A training step just finished. */
    record StepEvent(int epoch, int step, int stepsInEpoch, long version, long samples, double meanLoss,
                     double samplesPerSecond, double etaSeconds) {
    }

    default void onEpochStart(int epoch, ParamLabels labels, ParameterServer.Transition transition, Network network) {
    }

    /** A step finished; {@code network} is the local worker's, or null when the workers are remote. */
    default void onStep(StepEvent event, Network network) {
    }

    default void onEpochEnd(int epoch, double meanLoss, int droppedRows) {
    }

    TrainingListener NONE = new TrainingListener() {
    };
}
