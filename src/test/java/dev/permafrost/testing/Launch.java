package dev.permafrost.testing;

import dev.permafrost.spark.StandaloneCluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts the {@code permafrost} command line in a JVM of its own, as a scheduler would, its output in {@code log}. */
public final class Launch {
    private Launch() {
    }

    public static Process permafrost(List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx3g"));
        cmd.addAll(StandaloneCluster.OPENS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.permafrost.cli.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }
}
