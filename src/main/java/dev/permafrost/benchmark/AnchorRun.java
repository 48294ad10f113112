package dev.permafrost.benchmark;

import com.google.gson.Gson;
import dev.permafrost.io.LittleEndian;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * DL4J's own Spark trainer (dl4j-spark's parameter averaging), run in a JVM of its own from the benchmark build's
 * classpath so that dl4j-spark never enters the application jar. It trains from the same starting parameters (passed as
 * raw little-endian floats) and reports as JSON.
 */
public final class AnchorRun {
    public static final String MAIN = "dev.permafrost.bench.Dl4jSparkAnchor";

    private final String classpath;
    private final Path idx;
    private final int rows;
    private final int epochs;
    private final float[] pretrained;

    /** The anchor's JSON answer. */
    public record Answer(double samplesPerSecond, List<Double> epochSeconds, double testAccuracy, Boolean frozenIdentical, int batch, int rows,
                  Double warmupSeconds) {
    }

    public AnchorRun(String classpath, Path idx, int rows, int epochs, float[] pretrained) {
        this.classpath = classpath;
        this.idx = idx;
        this.rows = rows;
        this.epochs = epochs;
        this.pretrained = pretrained;
    }

    public TrainingPaths.Measured run(int batch, boolean frozen) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("permafrost-anchor");
        try {
            Path out = dir.resolve("anchor.json");
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            // The same JVM options as this benchmark (module openings Spark needs, heap), then the anchor's classpath.
            for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (!arg.startsWith("-Dpermafrost.lib") && !arg.startsWith("-agentlib")) command.add(arg);
            }
            command.addAll(List.of("-cp", classpath, MAIN, "--idx", idx.toString(), "--batch", Integer.toString(batch),
                    "--epochs", Integer.toString(epochs), "--rows", Integer.toString(rows), "--classes", "5", "--out", out.toString()));
            if (frozen) {
                Path params = dir.resolve("pretrained.bin");
                ByteBuffer b = LittleEndian.allocate(4 + LittleEndian.floatsSize(pretrained.length), 0x50464150);
                LittleEndian.putFloats(b, pretrained);
                Files.write(params, b.array());
                command.addAll(List.of("--frozen", "--params", params.toString()));
            }
            Process p = new ProcessBuilder(command).inheritIO().start();
            int exit = p.waitFor();
            if (exit != 0 || !Files.exists(out)) {
                throw new IllegalStateException("the dl4j-spark anchor exited with " + exit + " (command: " + String.join(" ", command) + ")");
            }
            Answer a = new Gson().fromJson(Files.readString(out, StandardCharsets.UTF_8), Answer.class);
            return new TrainingPaths.Measured(a.warmupSeconds() == null ? Double.NaN : a.warmupSeconds(), a.epochSeconds(), a.rows(),
                    a.testAccuracy(), Optional.ofNullable(a.frozenIdentical()), Optional.empty(), Optional.empty());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
