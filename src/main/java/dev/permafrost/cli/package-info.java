/**
 * The {@code permafrost} command line: one command per job, job settings, progress lines, metrics and audit reports.
 */
package dev.permafrost.cli;
