package dev.permafrost.cli;

import dev.permafrost.job.JobSettings;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The options every job command takes: a job file, key=value overrides, workers, epochs, freeze patterns, master. */
final class SettingsOptions {
    @Option(names = "--job", paramLabel = "FILE", description = "Job file (HOCON), e.g. jobs/pretrain.conf.")
    Path job;
    @Parameters(paramLabel = "key=value", description = "Override any setting, e.g. train.epochs=3 optimizer.lr=3e-4.")
    List<String> overrides = new ArrayList<>();
    @Option(names = "--workers", paramLabel = "W", description = "Workers, one Spark task each (train.workers).")
    Integer workers;
    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (train.epochs).")
    Integer epochs;
    @Mixin
    FreezeOptions freeze;
    @Mixin
    MasterOption masterOption;

    /** The settings, with {@code extra} overrides after the user's and the options' last, so they win. */
    JobSettings settings(List<String> extra) {
        List<String> all = new ArrayList<>(overrides);
        all.addAll(extra);
        if (workers != null) all.add("train.workers=" + workers);
        if (epochs != null) all.add("train.epochs=" + epochs);
        if (!freeze.freeze.isEmpty()) all.add("freeze.patterns=" + list(freeze.freeze));
        if (!freeze.keepTrainable.isEmpty()) all.add("freeze.keep-trainable=" + list(freeze.keepTrainable));
        if (masterOption.master != null) all.add("master=" + quote(masterOption.master));
        return JobSettings.load(Optional.ofNullable(job), all);
    }

    private static String list(List<String> values) {
        return "[" + String.join(",", values.stream().map(SettingsOptions::quote).toList()) + "]";
    }

    static String quote(String s) {
        return JobSettings.quote(s);
    }
}
