package dev.permafrost.testing;

import dev.permafrost.train.EpochRunner;
import dev.permafrost.train.EpochSpec;
import dev.permafrost.train.RemoteWorker;
import dev.permafrost.train.WorkerModel;

import java.util.List;
import java.util.function.Consumer;

/** Runners that watch or disturb a run from the outside, around a real one. */
public final class EpochRunners {
    private EpochRunners() {
    }

    /** {@code inner}, with {@code before} called with each epoch's spec (its port, its submission) before its tasks run. */
    public static EpochRunner beforeEachEpoch(EpochRunner inner, Consumer<EpochSpec> before) {
        return new EpochRunner() {
            @Override
            public void publish(WorkerModel model) {
                inner.publish(model);
            }

            @Override
            public List<RemoteWorker.Report> run(EpochSpec spec) {
                before.accept(spec);
                return inner.run(spec);
            }
        };
    }
}
