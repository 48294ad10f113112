/**
 * The side-by-side benchmark: every training path measured in one run, the dl4j-spark anchor, and the report written to
 * {@code BENCHMARKS.md}. Not {@code src/bench}, which holds the JMH kernels and the anchor's own build.
 */
package dev.permafrost.benchmark;
