package dev.permafrost.report;

import dev.permafrost.registry.ModelRegistry;
import dev.permafrost.registry.RetrainDecision;

import java.util.List;
import java.util.Locale;

/** The sections {@code retrain} adds to its report: the decision and the version history. */
public final class RetrainReport {
    private RetrainReport() {
    }

    public static ReportPage.Section decision(RetrainDecision d, ModelRegistry.Version current, int next, String verification) {
        boolean publish = d.outcome() == RetrainDecision.Outcome.PUBLISH;
        String html = "<p id=\"decision-outcome\" class=\"" + (publish ? "ok" : "bad") + "\">"
                + ReportPage.esc(publish ? "Published as v" + next : "Kept " + current.name()) + "</p>\n<table>"
                + row("metric", d.metric())
                + row(current.name() + " (current)", String.format(Locale.ROOT, "%.4f", d.current()))
                + row("this run", String.format(Locale.ROOT, "%.4f", d.candidate()))
                + row("tolerance", String.format(Locale.ROOT, "%.4f", d.tolerance()))
                + row("why", d.reason())
                + row("frozen parameters against " + current.name(), verification)
                + "</table>\n";
        return new ReportPage.Section("decision", "Decision", html);
    }

    public static ReportPage.Section history(List<ModelRegistry.VersionRecord> versions) {
        StringBuilder html = new StringBuilder("<table><tr><th>version</th><th>based on</th><th>partition</th><th>rows</th><th>metric</th>"
                + "<th>score</th><th>published at</th></tr>\n");
        for (ModelRegistry.VersionRecord v : versions) {
            html.append("<tr><td>v").append(v.version()).append("</td><td>").append(v.basedOn() == 0 ? "" : "v" + v.basedOn()).append("</td><td>")
                    .append(ReportPage.esc(v.partition())).append("</td><td class=\"n\">").append(v.basedOn() == 0 ? "" : String.format(Locale.ROOT, "%,d", v.rows()))
                    .append("</td><td>").append(ReportPage.esc(v.metric())).append("</td><td class=\"n\">")
                    .append(String.format(Locale.ROOT, "%.4f", v.metricValue())).append("</td><td>").append(ReportPage.esc(v.publishedAt()))
                    .append("</td></tr>\n");
        }
        return new ReportPage.Section("history", "Version history", html.append("</table>\n").toString());
    }

    private static String row(String key, String value) {
        return "<tr><th>" + ReportPage.esc(key) + "</th><td>" + ReportPage.esc(value) + "</td></tr>";
    }
}
