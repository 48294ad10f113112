package dev.permafrost.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on 127.0.0.1 for tests: a Master and W Worker JVMs started from the test's own
 * classpath (Spark from Maven), each Worker launching executor JVMs of its own. The test JVM is the driver.
 */
public final class StandaloneCluster implements AutoCloseable {
    public static final List<String> OPENS = List.of("-XX:+IgnoreUnrecognizedVMOptions",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "-Djdk.reflect.useDirectMethodHandle=false");

    private final Path home;
    private final int port;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private StandaloneCluster(Path home, int port, Process master) {
        this.home = home;
        this.port = port;
        this.master = master;
    }

    public static StandaloneCluster start(int workerCount, int coresPerWorker, String workerMemory) throws IOException, InterruptedException {
        Path home = Files.createTempDirectory("permafrost-spark-home");
        // The Worker builds executor command lines from SPARK_HOME/jars; the classes come from extraClassPath.
        Files.createDirectories(home.resolve("jars"));
        int port = freePort();
        Process master = launch(home, "master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort())));
        StandaloneCluster cluster = new StandaloneCluster(home, port, master);
        try {
            cluster.awaitLog("master", "I have been elected leader", Duration.ofSeconds(60));
            for (int i = 0; i < workerCount; i++) {
                Path work = Files.createDirectories(home.resolve("work-" + i));
                cluster.workers.add(launch(home, "worker-" + i, List.of("org.apache.spark.deploy.worker.Worker", cluster.url(),
                        "--host", "127.0.0.1", "--cores", Integer.toString(coresPerWorker), "--memory", workerMemory,
                        "--webui-port", Integer.toString(freePort()), "--work-dir", work.toString())));
            }
            for (int i = 0; i < workerCount; i++) cluster.awaitLog("worker-" + i, "Successfully registered with master", Duration.ofSeconds(60));
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public String url() {
        return "spark://127.0.0.1:" + port;
    }

    /** Spark settings a driver needs for this cluster's executors: the test classpath, module openings, one BLAS thread. */
    public Map<String, String> driverConf() {
        return Map.of(
                "spark.executor.extraClassPath", System.getProperty("java.class.path"),
                "spark.executor.extraJavaOptions", String.join(" ", OPENS),
                "spark.executorEnv.OMP_NUM_THREADS", "1",
                "spark.executor.memory", "2g",
                "spark.driver.host", "127.0.0.1",
                "spark.driver.bindAddress", "127.0.0.1",
                "spark.ui.enabled", "false");
    }

    /** The executor JVMs the Workers have launched. */
    public List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.descendants().filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend")).forEach(out::add);
        }
        return out;
    }

    /** The full command line from /proc: the JDK's ProcessHandle.Info leaves out very long ones (our classpath). */
    private static String commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"))).replace('\0', ' ');
        } catch (IOException e) {
            return p.info().commandLine().orElse("");
        }
    }

    private static Process launch(Path home, String name, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.addAll(OPENS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(home.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.12");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private void awaitLog(String name, String line, Duration timeout) throws IOException, InterruptedException {
        Path log = home.resolve(name + ".log");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) return;
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " did not log '" + line + "' within " + timeout.toSeconds() + " s; its log:\n"
                + (Files.exists(log) ? Files.readString(log) : "(none)"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (Process w : workers) {
            w.descendants().forEach(ProcessHandle::destroyForcibly);
            w.destroyForcibly();
        }
        master.destroyForcibly();
        for (Process w : workers) waitFor(w);
        waitFor(master);
        try (Stream<Path> files = Files.walk(home)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temporary folder; nothing else depends on it
        }
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
