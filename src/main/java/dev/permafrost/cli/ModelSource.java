package dev.permafrost.cli;

import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a command's network comes from: a saved DL4J model, or the built-in demo architecture. */
final class ModelSource {
    @Option(names = "--model", paramLabel = "FILE", description = "A DL4J model zip (ModelSerializer). Without it: the demo network.")
    Path model;

    @Option(names = "--classes", paramLabel = "N", defaultValue = "10",
            description = "Output classes of the demo network (default ${DEFAULT-VALUE}).")
    int classes;

    Network load() {
        if (model != null) return Dl4jNetworks.load(model);
        if (classes < 2) throw new IllegalArgumentException("--classes must be at least 2, got " + classes);
        return Dl4jNetworks.of(FashionMlp.build(classes, 42));
    }
}
