package dev.permafrost.cli;

import picocli.CommandLine.Option;

/** The training and held-out data a training command reads. */
final class DataOptions {
    @Option(names = "--data", paramLabel = "PATH", description = "Training data (data.path), any Hadoop FileSystem URI.")
    String data;

    @Option(names = "--test-data", paramLabel = "PATH", description = "Held-out data for accuracy (data.test-path).")
    String testData;
}
