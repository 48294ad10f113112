package dev.permafrost.cli;

import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.StoredParams;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a command's network comes from: a saved DL4J model, or the built-in demo architecture. */
final class ModelSource {
    @Option(names = "--model", paramLabel = "FILE", description = "A DL4J model zip (ModelSerializer). Without it: the demo network.")
    Path model;

    @Option(names = "--classes", paramLabel = "N", defaultValue = "10",
            description = "Output classes of the demo network (default ${DEFAULT-VALUE}).")
    int classes;

    /**
     * The network's parameters as stored, for listing them: a saved model of any data type is read as is (training
     * refuses anything but float32; inspecting it does not).
     */
    StoredParams load() {
        if (model != null) return StoredParams.load(model);
        if (classes < 2) throw new IllegalArgumentException("--classes must be at least 2, got " + classes);
        return StoredParams.of(FashionMlp.build(classes, 42));
    }
}
