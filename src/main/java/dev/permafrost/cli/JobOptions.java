package dev.permafrost.cli;

import dev.permafrost.job.JobSettings;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The options of pretrain and finetune: the settings options, plus the data, output and resume flags users reach for. */
final class JobOptions {
    @Mixin
    SettingsOptions settingsOptions;
    @Mixin
    DataOptions dataOptions;
    @Mixin
    OutputOptions output;
    @Option(names = "--resume", description = "Resume from the newest valid checkpoint in --out (the default when one exists); fail if there is none.")
    boolean resume;
    @Option(names = "--fresh", description = "Start over: discard the checkpoints in --out.")
    boolean fresh;

    JobSettings settings(String... extra) {
        List<String> all = new ArrayList<>(List.of(extra));
        if (dataOptions.data != null) all.add("data.path=" + SettingsOptions.quote(dataOptions.data));
        if (dataOptions.testData != null) all.add("data.test-path=" + SettingsOptions.quote(dataOptions.testData));
        output.out().ifPresent(out -> all.add("out=" + SettingsOptions.quote(out)));
        if (output.overwrite) all.add("overwrite=true");
        return settingsOptions.settings(all);
    }
}
