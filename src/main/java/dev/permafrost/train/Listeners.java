package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.train.TrainingListener;

import java.util.List;
import java.util.Optional;

/** Calls several listeners in order. */
public record Listeners(List<TrainingListener> all) implements TrainingListener {
    public static TrainingListener of(TrainingListener... listeners) {
        return new Listeners(List.of(listeners));
    }

    @Override
    public void onEpochStart(int epoch, ParamLabels labels, ParameterServer.Transition transition, Network network) {
        for (TrainingListener l : all) l.onEpochStart(epoch, labels, transition, network);
    }

    @Override
    public void onStep(StepEvent event, Optional<Network> localNetwork) {
        for (TrainingListener l : all) l.onStep(event, localNetwork);
    }

    @Override
    public void onEpochEnd(EpochEnd end) {
        for (TrainingListener l : all) l.onEpochEnd(end);
    }
}
