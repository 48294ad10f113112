package dev.permafrost.train;

import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamSelector;
import dev.permafrost.optim.ShardState;

import java.util.List;
import java.util.Map;

/**
 * Everything training needs to continue exactly where it stopped, as one value: a checkpoint writes exactly this and
 * resume reads exactly this. Freeze labels are explicit, never inferred from the model.
 *
 * @param version         steps applied so far
 * @param epoch           the epoch in progress (or about to start, at an epoch boundary)
 * @param epochStartVersion the version at which that epoch started: the data position is {@code version - epochStartVersion}
 * @param seed            the data-order seed
 * @param phase           the freeze phase number
 * @param configJson      the network configuration (no freezing wrappers)
 * @param params          every parameter, frozen and trainable, as raw floats
 * @param paramNames      parameter names in flat order, to check the architecture on resume
 * @param labels          each parameter's label now
 * @param schedule        the freeze schedule, as written
 * @param shards          the shard layout with each shard's fingerprint
 * @param optimizerStates optimizer state of each stateful trainable shard
 * @param meanLoss        mean training loss of the epoch so far (the metric "best" retention keeps)
 * @param job             the job the state belongs to: resuming with another is refused
 */
public record TrainState(long version, int epoch, long epochStartVersion, long seed, int phase, String configJson, boolean graph,
                         float[] params, List<String> paramNames, List<Label> labels, List<SchedulePhase> schedule,
                         List<ShardRecord> shards, String optimizer, Map<Integer, ShardState> optimizerStates, double meanLoss, JobIdentity job) {

    /** One phase of the freeze schedule in text form. */
    public record SchedulePhase(int fromEpoch, List<String> freeze, List<String> keepTrainable) {
        public static List<SchedulePhase> of(FreezeSchedule schedule) {
            return schedule.phases().stream().map(p -> new SchedulePhase(p.fromEpoch(),
                    p.plan().freeze().stream().map(ParamSelector::text).toList(),
                    p.plan().keepTrainable().stream().map(ParamSelector::text).toList())).toList();
        }
    }

    /** A shard's range, rule, label and fingerprint. */
    public record ShardRecord(long offset, int length, boolean statistic, Label label, long fingerprint) {
    }

    public TrainState {
        paramNames = List.copyOf(paramNames);
        labels = List.copyOf(labels);
        schedule = List.copyOf(schedule);
        shards = List.copyOf(shards);
        optimizerStates = Map.copyOf(optimizerStates);
        if (labels.size() != paramNames.size()) throw new IllegalArgumentException(labels.size() + " labels for " + paramNames.size() + " parameters");
        if (epochStartVersion > version) throw new IllegalArgumentException("epoch starts at " + epochStartVersion + " after version " + version);
    }

    public long stepInEpoch() {
        return version - epochStartVersion;
    }

    public String name() {
        return String.format("ckpt-%012d", version);
    }
}
