package dev.permafrost.train;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks that a saved training state fits this run (same architecture, same data order, a plan that agrees with the
 * saved labels, the same shard layout) and restores the parameter server from it. Every refusal names what differs.
 */
final class Resume {
    private Resume() {
    }

    static ParameterServer server(TrainState state, Network network, ParamLabels labelsNow, ShardLayout layout, TrainingConfig config) {
        ParamTable now = network.params();
        ParamTable saved = Dl4jNetworks.fromConfig(state.configJson(), state.graph(), state.params()).params();
        List<String> differences = new ArrayList<>();
        for (NamedParam p : now.params()) {
            int i = saved.indexOf(p.name());
            if (i < 0) differences.add(p.name() + " (not in the checkpoint)");
            else if (!saved.get(i).shape().equals(p.shape())) differences.add(p.name() + " (" + saved.get(i).shapeText() + " saved, " + p.shapeText() + " now)");
        }
        for (NamedParam p : saved.params()) {
            if (now.indexOf(p.name()) < 0) differences.add(p.name() + " (only in the checkpoint)");
        }
        if (!differences.isEmpty() || !saved.names().equals(now.names())) {
            throw new IllegalArgumentException("the checkpoint's architecture differs from this job's: " + String.join(", ", differences)
                    + ". Resume with the model the checkpoint was made from, or start over with --fresh.");
        }
        if (state.seed() != config.seed()) {
            throw new IllegalArgumentException("the checkpoint was made with train.seed = " + state.seed() + ", this job has " + config.seed()
                    + ": the data order would differ. Use the same seed, or start over with --fresh.");
        }
        List<String> contradicted = new ArrayList<>();
        for (int i = 0; i < now.size(); i++) {
            Label savedLabel = state.labels().get(i);
            if (savedLabel != labelsNow.label(i)) {
                contradicted.add(now.get(i).name() + " (" + savedLabel.text() + " in the checkpoint, " + labelsNow.label(i).text() + " in the plan)");
            }
        }
        if (!contradicted.isEmpty()) {
            throw new IllegalArgumentException("the freeze plan contradicts the checkpoint's labels at epoch " + state.epoch() + ": "
                    + String.join(", ", contradicted) + ". Resume with the plan the run started with, or start over with --fresh.");
        }
        ShardLayout relabelled = layout.withLabels(labelsNow);
        List<Shard> shards = relabelled.shards();
        boolean sameLayout = shards.size() == state.shards().size();
        for (int i = 0; sameLayout && i < shards.size(); i++) {
            sameLayout = shards.get(i).offset() == state.shards().get(i).offset() && shards.get(i).length() == state.shards().get(i).length();
        }
        if (!sameLayout) {
            throw new IllegalArgumentException("the checkpoint's shard layout differs from this job's (" + state.shards().size() + " shards saved, "
                    + shards.size() + " now): keep train.shard-max-elements as it was, or start over with --fresh");
        }
        return ParameterServer.restore(relabelled, state.params(), config.optimizer(), state.version(), state.optimizerStates());
    }
}
