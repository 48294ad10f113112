package dev.permafrost.cli;

import picocli.CommandLine.Option;

import java.util.Optional;

/** Where a command writes ({@code --out}) and whether it may replace an earlier run there ({@code --overwrite}). */
final class OutputOptions {
    @Option(names = "--out", paramLabel = "DIR",
            description = "Output folder (any Hadoop FileSystem URI for Spark jobs); required by import-fashion-mnist and the training "
                    + "jobs, out/demo for freeze-demo.")
    String out;

    @Option(names = "--overwrite", description = "Replace the outputs of an earlier run in --out.")
    boolean overwrite;

    /** The folder given, if any. */
    Optional<String> out() {
        return Optional.ofNullable(out);
    }

    /** The folder given, or an error naming the flag. */
    String required() {
        return out().orElseThrow(() -> new IllegalArgumentException("no output folder given: pass --out DIR"));
    }
}
