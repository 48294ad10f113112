package dev.permafrost.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The options every training command takes: a job file, key=value overrides, and the flags users reach for. */
final class JobOptions {
    @Option(names = "--job", paramLabel = "FILE", description = "Job file (HOCON), e.g. jobs/pretrain.conf.")
    Path job;
    @Parameters(paramLabel = "key=value", description = "Override any setting, e.g. train.epochs=3 optimizer.lr=3e-4.")
    List<String> overrides = new ArrayList<>();
    @Option(names = "--data", paramLabel = "PATH", description = "Training data (data.path), any Hadoop FileSystem URI.")
    String data;
    @Option(names = "--test-data", paramLabel = "PATH", description = "Held-out data for accuracy (data.test-path).")
    String testData;
    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (out): model.zip, metrics.json, audit.json.")
    String out;
    @Option(names = "--workers", paramLabel = "W", description = "Workers, one Spark task each (train.workers).")
    Integer workers;
    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (train.epochs).")
    Integer epochs;
    @Option(names = "--freeze", paramLabel = "PATTERN", description = "Freeze parameters matching PATTERN (freeze.patterns; repeatable).")
    List<String> freeze = new ArrayList<>();
    @Option(names = "--master", paramLabel = "URL", description = "Spark master (master), e.g. local[2] or spark://host:7077.")
    String master;
    @Option(names = "--overwrite", description = "Replace the outputs of an earlier, finished run in --out.")
    boolean overwrite;
    @Option(names = "--resume", description = "Resume from the newest valid checkpoint in --out (the default when one exists); fail if there is none.")
    boolean resume;
    @Option(names = "--fresh", description = "Start over: discard the checkpoints in --out.")
    boolean fresh;

    JobSettings settings(String... extra) {
        List<String> all = new ArrayList<>(overrides);
        for (String e : extra) all.add(e);
        if (data != null) all.add("data.path=" + quote(data));
        if (testData != null) all.add("data.test-path=" + quote(testData));
        if (out != null) all.add("out=" + quote(out));
        if (workers != null) all.add("train.workers=" + workers);
        if (epochs != null) all.add("train.epochs=" + epochs);
        if (!freeze.isEmpty()) all.add("freeze.patterns=[" + String.join(",", freeze.stream().map(JobOptions::quote).toList()) + "]");
        if (master != null) all.add("master=" + quote(master));
        if (overwrite) all.add("overwrite=true");
        return JobSettings.load(job, all);
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
