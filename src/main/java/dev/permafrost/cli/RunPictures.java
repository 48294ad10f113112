package dev.permafrost.cli;

import com.typesafe.config.ConfigValue;
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
import java.util.TreeMap;

/** Writes a finished run's {@code chart.png} and {@code report.html} beside its metrics and audit. */
final class RunPictures {
    private RunPictures() {
    }

    /** Writes the chart (when there is an epoch to draw) and the report; returns whether the chart was written. */
    static boolean write(HadoopFiles files, String outDir, String title, RunReport.Metrics metrics, RunReport.Audit audit, JobSettings s,
                      TrainingConfig config, Network network, List<ReportPage.Section> extra) {
        byte[] png = metrics.perEpoch().isEmpty() ? null
                : RunChart.png(metrics.perEpoch(), metrics.stepLoss().points(), title, 900, 450);
        if (png != null) files.write(outDir, "chart.png", png);
        var resolved = config.schedule().resolve(network.params());
        String page = ReportPage.render(title, metrics, audit, settings(s), FreezeSchedule.labelsAt(resolved, config.epochs() - 1),
                freezePlan(s, resolved), png, extra);
        files.write(outDir, "report.html", page.getBytes(StandardCharsets.UTF_8));
        return png != null;
    }

    /** Every setting of the run, by its full key, as the job resolved it (defaults, job file, command line). */
    static Map<String, String> settings(JobSettings s) {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : s.root().entrySet()) out.put(e.getKey(), e.getValue().render(
                com.typesafe.config.ConfigRenderOptions.concise()));
        return out;
    }

    /** The freeze settings, then what each phase freezes. */
    static List<String> freezePlan(JobSettings s, List<FreezeSchedule.ResolvedPhase> resolved) {
        List<String> lines = new ArrayList<>();
        for (String key : List.of("patterns", "keep-trainable", "from-epoch", "gradual-blocks", "gradual-every")) {
            lines.add("freeze." + key + " = " + s.root().getValue("freeze." + key).render(com.typesafe.config.ConfigRenderOptions.concise()));
        }
        for (FreezeSchedule.ResolvedPhase p : resolved) {
            lines.add(String.format(Locale.ROOT, "from epoch %d: %d parameters frozen (%,d elements), %d trainable (%,d elements)", p.fromEpoch() + 1,
                    p.labels().names(Label.FROZEN).size(), p.labels().elements(Label.FROZEN), p.labels().names(Label.TRAINABLE).size(),
                    p.labels().elements(Label.TRAINABLE)));
        }
        return lines;
    }
}
