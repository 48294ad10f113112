/**
 * What a run writes for people, and how it is shown while it runs: {@code metrics.json} and {@code audit.json}
 * (records), the chart and the self-contained HTML page, the per-epoch history with its held-out scores, the bounded
 * step-loss sample, the progress lines.
 */
package dev.permafrost.report;
