/**
 * The {@code permafrost} command line: {@code Main}, one command per job, and the option mixins they share. The work
 * itself is below: {@code job}, {@code report}, {@code benchmark}.
 */
package dev.permafrost.cli;
