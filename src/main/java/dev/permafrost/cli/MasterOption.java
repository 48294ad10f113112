package dev.permafrost.cli;

import picocli.CommandLine.Option;

/** The Spark master a Spark command runs on. */
final class MasterOption {
    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[2] or spark://host:7077 (default: the one spark-submit gives, else local[*]).")
    String master;
}
