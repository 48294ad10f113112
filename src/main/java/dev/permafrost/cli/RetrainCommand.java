package dev.permafrost.cli;

import dev.permafrost.job.RetrainJob;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Fine-tunes the published model on one dated partition and publishes the result only if it holds up. */
@Command(name = "retrain", mixinStandardHelpOptions = true,
        description = {"Fine-tune the currently published model on one data partition (e.g. date=2026-11-23) with the job's freeze plan, "
                + "score it on the held-out set, and publish it as the next version only if its metric is not worse than the current "
                + "model's by more than retrain.tolerance, after checking its frozen parameters bit for bit against the current version.",
                "Exit codes: 0 published (or already published for this partition), 3 kept the current version (or already kept), "
                        + "1 failed (a check failed, or another run published first: run again), 2 failed on bad settings or input."})
final class RetrainCommand implements Callable<Integer> {
    @Mixin
    SettingsOptions options;
    @Option(names = "--partition", paramLabel = "KEY=VALUE", description = "The data partition to train on, e.g. date=2026-11-23 "
            + "(retrain.partition): the folder of that name under retrain.data-root.")
    String partition;

    @Override
    public Integer call() throws Exception {
        List<String> base = new ArrayList<>();
        if (partition != null) base.add("retrain.partition=" + SettingsOptions.quote(partition));
        return RetrainJob.run(options.settings(base), System.out);
    }
}
