package dev.permafrost.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The options every training command takes: a job file, key=value overrides, and the flags users reach for. */
final class JobOptions {
    @Option(names = "--job", paramLabel = "FILE", description = "Job file (HOCON), e.g. jobs/pretrain.conf.")
    Path job;
    @Parameters(paramLabel = "key=value", description = "Override any setting, e.g. train.epochs=3 optimizer.lr=3e-4.")
    List<String> overrides = new ArrayList<>();
    @Mixin
    DataOptions dataOptions;
    @Mixin
    OutputOptions output;
    @Option(names = "--workers", paramLabel = "W", description = "Workers, one Spark task each (train.workers).")
    Integer workers;
    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (train.epochs).")
    Integer epochs;
    @Mixin
    FreezeOptions freeze;
    @Mixin
    MasterOption masterOption;
    @Option(names = "--resume", description = "Resume from the newest valid checkpoint in --out (the default when one exists); fail if there is none.")
    boolean resume;
    @Option(names = "--fresh", description = "Start over: discard the checkpoints in --out.")
    boolean fresh;

    JobSettings settings(String... extra) {
        List<String> all = new ArrayList<>(overrides);
        for (String e : extra) all.add(e);
        if (dataOptions.data != null) all.add("data.path=" + quote(dataOptions.data));
        if (dataOptions.testData != null) all.add("data.test-path=" + quote(dataOptions.testData));
        output.out().ifPresent(out -> all.add("out=" + quote(out)));
        if (workers != null) all.add("train.workers=" + workers);
        if (epochs != null) all.add("train.epochs=" + epochs);
        if (!freeze.freeze.isEmpty()) all.add("freeze.patterns=" + list(freeze.freeze));
        if (!freeze.keepTrainable.isEmpty()) all.add("freeze.keep-trainable=" + list(freeze.keepTrainable));
        if (masterOption.master != null) all.add("master=" + quote(masterOption.master));
        if (output.overwrite) all.add("overwrite=true");
        return JobSettings.load(Optional.ofNullable(job), all);
    }

    private static String list(List<String> values) {
        return "[" + String.join(",", values.stream().map(JobOptions::quote).toList()) + "]";
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
