package dev.permafrost.cli;

import dev.permafrost.job.TrainJob;
import dev.permafrost.job.JobSettings;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Loads a saved model, optionally gives it a new head, freezes by plan and trains it on Spark. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Load a saved model (any Hadoop FileSystem URI), optionally replace the head, freeze by plan, train distributed, "
                + "save model.zip, metrics.json and audit.json.")
final class FinetuneCommand implements Callable<Integer> {
    @Mixin
    JobOptions options;
    @Option(names = "--model", paramLabel = "PATH", description = "The model to start from (model.path).")
    String model;

    @Override
    public Integer call() throws Exception {
        JobSettings s = model == null ? options.settings() : options.settings("model.path=" + SettingsOptions.quote(model));
        return TrainJob.run(s, TrainJob.Kind.FINETUNE, TrainJob.Start.of(options.resume, options.fresh), System.out);
    }
}
