package dev.permafrost.cli;

import dev.permafrost.data.FashionMnist;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The folder holding Fashion-MNIST's IDX files, for the commands that read them directly. */
final class IdxOption {
    @Option(names = "--idx", paramLabel = "DIR", description = "Folder with the Fashion-MNIST IDX files (default: "
            + "/usr/share/datasets/fashion-mnist, where Debian's dataset-fashion-mnist installs them).")
    Path idx = FashionMnist.DEFAULT_DIR;
}
