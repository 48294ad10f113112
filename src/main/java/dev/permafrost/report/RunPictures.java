package dev.permafrost.report;


import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.Label;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.network.Network;
import dev.permafrost.train.TrainingConfig;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes a finished run's {@code chart.png} and {@code report.html} beside its metrics and audit. */
public final class RunPictures {
    private RunPictures() {
    }

    /**
     * The job's settings as the report shows them: every setting by its full key as the job resolved it (defaults, job
     * file, command line), and the freeze settings in the order a reader follows them.
     */
    public record Settings(Map<String, String> all, List<String> freeze) {
    }

    /** Writes the chart (when there is an epoch to draw) and the report; returns whether the chart was written. */
    public static boolean write(HadoopFiles files, String outDir, String title, RunReport.Metrics metrics, RunReport.Audit audit, Settings s,
                      TrainingConfig config, Network network, List<ReportPage.Section> extra) {
        java.util.Optional<byte[]> png = metrics.perEpoch().isEmpty() ? java.util.Optional.empty()
                : java.util.Optional.of(RunChart.png(metrics.perEpoch(), metrics.stepLoss().points(), title, 900, 450));
        png.ifPresent(bytes -> files.write(outDir, "chart.png", bytes));
        var resolved = config.schedule().resolve(network.params());
        String page = ReportPage.render(title, metrics, audit, s.all(), FreezeSchedule.labelsAt(resolved, config.epochs() - 1),
                freezePlan(s, resolved), png, extra);
        files.write(outDir, "report.html", page.getBytes(StandardCharsets.UTF_8));
        return png.isPresent();
    }

    /** The freeze settings, then what each phase freezes. */
    static List<String> freezePlan(Settings s, List<FreezeSchedule.ResolvedPhase> resolved) {
        List<String> lines = new ArrayList<>(s.freeze());
        for (FreezeSchedule.ResolvedPhase p : resolved) {
            lines.add(String.format(Locale.ROOT, "from epoch %d: %d parameters frozen (%,d elements), %d trainable (%,d elements)", p.fromEpoch() + 1,
                    p.labels().names(Label.FROZEN).size(), p.labels().elements(Label.FROZEN), p.labels().names(Label.TRAINABLE).size(),
                    p.labels().elements(Label.TRAINABLE)));
        }
        return lines;
    }
}
