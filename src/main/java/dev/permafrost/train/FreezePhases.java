package dev.permafrost.train;

import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.ParamTable;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.shard.ShardLayout;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A run's way through its freeze schedule, the one place both trainers take phase transitions: the schedule resolved
 * against the network (so a typo in a late phase fails before epoch 0), the shard layout planned over every phase
 * (so a transition only relabels shards), and the labels and phase number the run is at.
 */
public final class FreezePhases {
    private final List<FreezeSchedule.ResolvedPhase> phases;
    private final ShardLayout plannedLayout;
    private ParamLabels labels;
    private int labelEpoch;
    private int phase;

    private FreezePhases(List<FreezeSchedule.ResolvedPhase> phases, ShardLayout plannedLayout) {
        this.phases = phases;
        this.plannedLayout = plannedLayout;
        this.labels = FreezeSchedule.labelsAt(phases, 0);
    }

    /** Resolves the schedule and plans the layout; the run starts at epoch 0, phase 0. */
    public static FreezePhases plan(FreezeSchedule schedule, ParamTable table, int maxShardLength) {
        List<FreezeSchedule.ResolvedPhase> resolved = schedule.resolve(table);
        ShardLayout layout = ShardLayout.plan(table, resolved.stream().map(FreezeSchedule.ResolvedPhase::labels).toList(), maxShardLength);
        return new FreezePhases(resolved, layout);
    }

    /** Places the run at the labels of {@code labelEpoch} and at phase number {@code phaseNumber}: where a resumed run is. */
    public void resumeAt(int labelEpoch, int phaseNumber) {
        labels = FreezeSchedule.labelsAt(phases, labelEpoch);
        this.labelEpoch = labelEpoch;
        phase = phaseNumber;
    }

    /** The labels the run is under now. */
    public ParamLabels labels() {
        return labels;
    }

    /** The phase number: 0 at the start, one more at every transition. */
    public int phase() {
        return phase;
    }

    /** The layout planned over every phase: fixed boundaries, for checking a checkpoint's layout. */
    public ShardLayout plannedLayout() {
        return plannedLayout;
    }

    /** Names of the parameters frozen in every epoch from the first to the one whose labels hold now. */
    public Set<String> frozenSinceFirstEpoch() {
        Set<String> names = new HashSet<>(labels.names(Label.FROZEN));
        for (int e = 0; e < labelEpoch; e++) names.retainAll(FreezeSchedule.labelsAt(phases, e).names(Label.FROZEN));
        return names;
    }

    /** The most trainable elements of any phase: the largest push the run can make. */
    public int maxTrainableElements() {
        long most = 0;
        for (FreezeSchedule.ResolvedPhase p : phases) most = Math.max(most, plannedLayout.withLabels(p.labels()).elements(Label.TRAINABLE));
        return Math.toIntExact(most);
    }

    /** The planned boundaries under the current labels. */
    public ShardLayout layout() {
        return plannedLayout.withLabels(labels);
    }

    /**
     * Moves to the labels of {@code epoch}. When they differ from the current ones, relabels {@code server} and
     * counts a new phase, returning what the relabelling changed; empty when the epoch continues the current phase.
     */
    public Optional<ParameterServer.Transition> enter(int epoch, ParameterServer server) {
        ParamLabels next = FreezeSchedule.labelsAt(phases, epoch);
        labelEpoch = epoch;
        if (next.equals(labels)) return Optional.empty();
        labels = next;
        phase++;
        return Optional.of(server.relabel(layout()));
    }
}
