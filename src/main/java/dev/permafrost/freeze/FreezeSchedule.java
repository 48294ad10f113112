package dev.permafrost.freeze;

import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Freeze plans over epochs: each phase's plan holds from its first epoch until the next phase starts. Before the
 * first phase nothing is frozen. Examples: everything trainable for epochs 0–9 and {@code pretrained.*} frozen from
 * epoch 10 is {@code [Phase(10, freeze pretrained.*)]}; gradual unfreezing is {@link #gradualUnfreeze}.
 */
public record FreezeSchedule(List<Phase> phases) {

    /** A plan and the epoch from which it holds. */
    public record Phase(int fromEpoch, FreezePlan plan) {
        public Phase {
            if (fromEpoch < 0) throw new FreezePlanException("a schedule phase starts at epoch " + fromEpoch + "; epochs count from 0");
        }
    }

    /** A phase resolved against a network. */
    public record ResolvedPhase(int fromEpoch, ParamLabels labels) {
    }

    public FreezeSchedule {
        List<Phase> sorted = new ArrayList<>(phases);
        sorted.sort(Comparator.comparingInt(Phase::fromEpoch));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).fromEpoch() == sorted.get(i - 1).fromEpoch()) {
                throw new FreezePlanException("two schedule phases start at epoch " + sorted.get(i).fromEpoch()
                        + ": merge their patterns into one plan");
            }
        }
        phases = List.copyOf(sorted);
    }

    public static FreezeSchedule constant(FreezePlan plan) {
        return new FreezeSchedule(List.of(new Phase(0, plan)));
    }

    public static FreezeSchedule of(Phase... phases) {
        return new FreezeSchedule(List.of(phases));
    }

    /**
     * Gradual unfreezing: from {@code startEpoch} every block is frozen; every {@code every} epochs the topmost
     * still-frozen block is released. {@code blocksBottomToTop} are selectors (one per block) in network order;
     * everything else (the head) stays trainable throughout.
     */
    public static FreezeSchedule gradualUnfreeze(List<String> blocksBottomToTop, int startEpoch, int every) {
        if (blocksBottomToTop.isEmpty()) throw new FreezePlanException("gradual unfreezing needs at least one block pattern");
        if (every < 1) throw new FreezePlanException("gradual unfreezing: 'every' must be at least 1 epoch, got " + every);
        List<Phase> phases = new ArrayList<>();
        for (int released = 0; released <= blocksBottomToTop.size(); released++) {
            List<String> frozen = blocksBottomToTop.subList(0, blocksBottomToTop.size() - released);
            phases.add(new Phase(startEpoch + released * every, FreezePlan.parse(frozen, List.of())));
        }
        return new FreezeSchedule(phases);
    }

    public FreezePlan planAt(int epoch) {
        FreezePlan plan = FreezePlan.NOTHING_FROZEN;
        for (Phase p : phases) {
            if (p.fromEpoch() <= epoch) plan = p.plan();
        }
        return plan;
    }

    /**
     * Resolves every phase now, so a typo in the plan for epoch 10 fails before epoch 0 starts. Always begins
     * with a phase at epoch 0.
     */
    public List<ResolvedPhase> resolve(ParamTable table) {
        List<ResolvedPhase> out = new ArrayList<>();
        if (phases.isEmpty() || phases.get(0).fromEpoch() > 0) {
            out.add(new ResolvedPhase(0, ParamLabels.allTrainable(table)));
        }
        for (Phase p : phases) {
            try {
                out.add(new ResolvedPhase(p.fromEpoch(), p.plan().resolve(table)));
            } catch (FreezePlanException e) {
                throw new FreezePlanException("in the schedule phase from epoch " + p.fromEpoch() + ": " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    /**
     * The warnings of every phase's plan ({@link FreezePlan#warnings()}), each once; with more than one phase each
     * names the first phase it comes from. Nothing here prints: the caller does.
     */
    public List<String> warnings() {
        Set<String> seen = new LinkedHashSet<>();
        List<String> out = new ArrayList<>();
        for (Phase p : phases) {
            for (String w : p.plan().warnings()) {
                if (seen.add(w)) out.add(phases.size() == 1 ? w : w + " (schedule phase from epoch " + p.fromEpoch() + ")");
            }
        }
        return List.copyOf(out);
    }

    public static ParamLabels labelsAt(List<ResolvedPhase> resolved, int epoch) {
        ParamLabels labels = resolved.get(0).labels();
        for (ResolvedPhase p : resolved) {
            if (p.fromEpoch() <= epoch) labels = p.labels();
        }
        return labels;
    }
}
