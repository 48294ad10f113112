package dev.permafrost.cli;

import dev.permafrost.job.TrainJob;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** Builds the network described in the job file and trains it on Spark. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Build a network from the model spec in the job file, train it distributed, save model.zip, metrics.json and audit.json.")
final class PretrainCommand implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Override
    public Integer call() throws Exception {
        return TrainJob.run(options.settings(), TrainJob.Kind.PRETRAIN, TrainJob.Start.of(options.resume, options.fresh), System.out);
    }
}
