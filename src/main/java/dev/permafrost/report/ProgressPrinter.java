package dev.permafrost.report;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.train.TrainingListener;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;

/** Progress lines for people: a line every tenth of an epoch or every few seconds, and one per freeze transition. */
public final class ProgressPrinter implements TrainingListener {
    private final PrintStream out;
    private final int epochs;
    private long lastPrint;

    public ProgressPrinter(PrintStream out, int epochs) {
        this.out = out;
        this.epochs = epochs;
    }

    @Override
    public void onEpochStart(int epoch, ParamLabels labels, ParameterServer.Transition transition, Network network) {
        if (epoch == 0 || transition.changed()) {
            out.printf(Locale.ROOT, "epoch %d/%d (schedule epoch %d): %d parameters frozen (%,d elements), %d trainable (%,d elements)%n",
                    epoch + 1, epochs, epoch,
                    labels.names(Label.FROZEN).size(), labels.elements(Label.FROZEN), labels.names(Label.TRAINABLE).size(),
                    labels.elements(Label.TRAINABLE));
        }
        if (transition.changed()) {
            out.printf(Locale.ROOT, "  transition: %d shards frozen (optimizer state dropped), %d released (fresh state, step 0)%n",
                    transition.newlyFrozen().size(), transition.newlyTrainable().size());
        }
    }

    @Override
    public void onStep(StepEvent event, Optional<Network> localNetwork) {
        long now = System.nanoTime();
        int every = Math.max(1, event.stepsInEpoch() / 10);
        boolean last = event.step() + 1 == event.stepsInEpoch();
        if ((event.step() + 1) % every != 0 && !last && now - lastPrint < 5_000_000_000L) return;
        lastPrint = now;
        out.printf(Locale.ROOT, "epoch %d/%d  step %d/%d  loss %.4f  %,.0f samples/s  ETA %s%n", event.epoch() + 1, epochs,
                event.step() + 1, event.stepsInEpoch(), event.meanLoss(), event.samplesPerSecond(), eta(event.etaSeconds()));
    }

    @Override
    public void onEpochEnd(EpochEnd end) {
        out.printf(Locale.ROOT, "epoch %d/%d done: mean loss %.4f%s%n", end.epoch() + 1, epochs, end.meanLoss(),
                end.droppedRows() > 0 ? " (" + end.droppedRows() + " rows after the last full global batch left out of this epoch)" : "");
    }

    public static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }
}
