package dev.permafrost.report;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run report: one self-contained HTML page (the chart inlined as a PNG) with the run's settings, freeze plan,
 * parameter table, chart, per-epoch table, audit and timings. Every figure on it comes from the run's metrics and
 * audit records; nothing is loaded from elsewhere, so the page opens offline and can be mailed or archived.
 */
public final class ReportPage {
    /** A section a job adds (the retraining decision, the version history): a title and its HTML body. */
    public record Section(String id, String title, String html) {
    }

    private final StringBuilder html = new StringBuilder();

    private ReportPage() {
    }

    public static String render(String title, RunReport.Metrics metrics, RunReport.Audit audit, Map<String, String> settings,
                         ParamLabels labels, List<String> freezePlan, java.util.Optional<byte[]> chartPng, List<Section> extra) {
        ReportPage p = new ReportPage();
        p.html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n<style>")
                .append("body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}")
                .append("h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}")
                .append(".ok{color:#17692b;font-weight:600}.bad{color:#a01010;font-weight:600}code{font-size:13px}")
                .append("</style></head><body>\n");
        p.html.append("<h1>").append(esc(title)).append("</h1>\n");
        p.summary(metrics, audit);
        for (Section s : extra) p.html.append("<h2 id=\"").append(esc(s.id())).append("\">").append(esc(s.title())).append("</h2>\n").append(s.html());
        p.html.append("<h2 id=\"chart-section\">Loss and accuracy</h2>\n");
        if (chartPng.isPresent()) {
            p.html.append("<img id=\"chart\" alt=\"training loss and test accuracy against epoch\" width=\"900\" height=\"450\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(chartPng.get())).append("\">\n");
        } else {
            p.html.append("<p>No epoch finished in this run, so there is nothing to chart.</p>\n");
        }
        p.epochs(metrics);
        p.freeze(freezePlan, labels);
        p.audit(audit);
        p.timings(metrics);
        p.html.append("<h2 id=\"settings\">Settings</h2>\n");
        List<List<String>> rows = new ArrayList<>();
        settings.forEach((k, v) -> rows.add(List.of(k, v)));
        p.table(List.of("setting", "value"), rows, 0);
        p.html.append("</body></html>\n");
        return p.html.toString();
    }

    private void summary(RunReport.Metrics m, RunReport.Audit a) {
        html.append("<p id=\"summary\">").append(esc(m.job())).append(": ")
                .append(String.format(Locale.ROOT, "%,d rows, %d epoch%s, ", m.rows(), m.epochs(), m.epochs() == 1 ? "" : "s"))
                .append(m.samplesPerSecond().map(rate -> String.format(Locale.ROOT, "%,d steps in %.1f s (%,.0f samples/s)", m.stepsRun(),
                        m.seconds(), rate)).orElse("no steps left to run (resumed after the last step)")
                        + (m.stepsRun() == m.steps() ? "" : String.format(Locale.ROOT, " after a resume, %,d steps in all", m.steps())));
        m.testAccuracy().ifPresent(accuracy -> html.append(String.format(Locale.ROOT, "; test accuracy <b>%.4f</b>", accuracy)));
        html.append("; frozen parameters of the written model: ");
        if (a.frozenParameters().isEmpty()) html.append("none frozen");
        else if (a.frozenIdentical()) html.append("<span class=\"ok\">bit-identical to the values they were frozen with</span>");
        else html.append("<span class=\"bad\">DIFFER from the values they were frozen with</span>");
        html.append(".</p>\n");
    }

    private void epochs(RunReport.Metrics m) {
        html.append("<h2 id=\"epochs\">Epochs</h2>\n");
        List<List<String>> rows = new ArrayList<>();
        for (EpochHistory.Epoch e : m.perEpoch()) {
            rows.add(List.of(Integer.toString(e.epoch()), fmt("%.4f", e.meanLoss()), e.testAccuracy().map(a -> fmt("%.4f", a)).orElse(""),
                    e.testWeightedF1().map(f -> fmt("%.4f", f)).orElse(""), fmt("%,.0f", e.samplesPerSecond()), fmt("%.1f", e.seconds()),
                    e.frozenParams() + " / " + e.trainableParams(), fmt("%,d", e.audit().pushesChecked()), e.audit().result()));
        }
        table(List.of("epoch", "mean loss", "test accuracy", "weighted F1", "samples/s", "seconds", "frozen / trainable params",
                "pushes with fingerprints checked", "frozen at epoch end"), rows, 1);
    }

    private void freeze(List<String> plan, ParamLabels labels) {
        html.append("<h2 id=\"freeze\">Freeze plan</h2>\n<ul>");
        for (String line : plan) html.append("<li>").append(esc(line)).append("</li>");
        html.append("</ul>\n<h2 id=\"params\">Parameters (labels of the last epoch)</h2>\n");
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < labels.table().size(); i++) {
            NamedParam p = labels.table().get(i);
            rows.add(List.of(p.name(), p.kind().label(), p.shapeText(), fmt("%,d", p.length()), labels.label(i).text()));
        }
        table(List.of("name", "kind", "shape", "elements", "label"), rows, 3);
    }

    private void audit(RunReport.Audit a) {
        html.append("<h2 id=\"audit\">Audit</h2>\n<p>Fingerprint: ").append(esc(a.fingerprint())).append("; executors' copies checked every ")
                .append(a.auditEvery()).append(" steps.</p>\n");
        List<List<String>> devices = new ArrayList<>();
        for (RunReport.WorkerDeviceRecord w : a.workers()) {
            devices.add(List.of(Integer.toString(w.worker()), w.executor(), w.gpuAddress().isEmpty() ? "none" : w.gpuAddress(), w.device()));
        }
        table(List.of("worker", "executor", "GPU assigned by Spark", "computed on"), devices, 0);
        List<List<String>> rows = new ArrayList<>();
        for (RunReport.FrozenParameter f : a.frozenParameters()) {
            rows.add(List.of(f.name(), Integer.toString(f.frozenSincePhase()), f.comparedWith(), fmt("%,d", f.elementsCompared()),
                    fmt("%,d", f.differingElements()), f.result()));
        }
        if (rows.isEmpty()) {
            html.append("<p>Nothing was frozen in this run, so there was nothing to compare.</p>\n");
            return;
        }
        table(List.of("frozen parameter of model.zip", "frozen since phase", "compared with", "elements", "differing", "result"), rows, 3);
        rows = new ArrayList<>();
        for (RunReport.ExecutorChecks e : a.executors()) {
            rows.add(List.of(e.executor(), e.workers().toString(), fmt("%,d", e.pushesChecked()), fmt("%,d", e.shardChecks()), e.steps()));
        }
        table(List.of("executor", "workers", "pushes checked", "shard checks", "steps"), rows, 2);
    }

    private void timings(RunReport.Metrics m) {
        html.append("<h2 id=\"timings\">Timings</h2>\n");
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("training", fmt("%.1f s", m.seconds())));
        rows.add(List.of("task start-up (all epochs)", fmt("%.1f s", m.stepTimes().taskStartSeconds())));
        m.stepTimes().driverMsPerStep().forEach((k, v) -> rows.add(List.of("driver: " + k + " per step", fmt("%.2f ms", v))));
        for (RunReport.WorkerBreakdown w : m.stepTimes().workers()) {
            w.msPerStep().forEach((k, v) -> rows.add(List.of("worker " + w.worker() + " on " + w.executor() + ": " + k + " per step",
                    fmt("%.2f ms", v))));
        }
        rows.add(List.of("checkpoints", fmt("%d written, %.2f s", m.checkpointsWritten(), m.checkpointSeconds())));
        table(List.of("what", "time"), rows, 1);
    }

    /** A table; columns from {@code firstNumeric} on are right-aligned. */
    private void table(List<String> headers, List<List<String>> rows, int firstNumeric) {
        html.append("<table><tr>");
        for (String h : headers) html.append("<th>").append(esc(h)).append("</th>");
        html.append("</tr>\n");
        for (List<String> row : rows) {
            html.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                html.append(i >= firstNumeric && firstNumeric > 0 ? "<td class=\"n\">" : "<td>").append(esc(row.get(i))).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    private static String fmt(String pattern, Object value) {
        return String.format(Locale.ROOT, pattern, value);
    }

    private static String fmt(String pattern, Object a, Object b) {
        return String.format(Locale.ROOT, pattern, a, b);
    }

    public static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
