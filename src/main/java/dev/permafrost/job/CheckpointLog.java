package dev.permafrost.job;

import dev.permafrost.checkpoint.CheckpointStore;
import dev.permafrost.report.RunReport;
import dev.permafrost.train.TrainState;

import java.io.PrintStream;
import java.util.Locale;

/** Writes checkpoints and says what each cost. */
final class CheckpointLog {
    private final CheckpointStore store;
    private final PrintStream out;
    private int count;
    private double seconds;
    private long lastBytes;

    CheckpointLog(CheckpointStore store, PrintStream out) {
        this.store = store;
        this.out = out;
    }

    RunReport.CheckpointCosts costs() {
        return new RunReport.CheckpointCosts(count, seconds, lastBytes);
    }

    void write(TrainState state) {
        CheckpointStore.Written w = store.write(state);
        count++;
        seconds += w.seconds();
        lastBytes = w.bytes();
        out.printf(Locale.ROOT, "checkpoint %s (epoch %d, step %d of the epoch): %.2f MB in %.2f s%n", w.name(), state.epoch() + 1,
                state.stepInEpoch(), w.bytes() / 1e6, w.seconds());
        w.damagedRemoved().forEach(n -> out.println("warning: removed the damaged checkpoint " + store.dir() + "/" + n
                + " (its files do not match its manifest); it could not be resumed from"));
    }
}
