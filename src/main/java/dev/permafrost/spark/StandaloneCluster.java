package dev.permafrost.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Starts, stops and reports on a real Spark standalone cluster on 127.0.0.1 (one Master and N Worker JVMs, each Worker
 * launching executor JVMs of its own); {@code permafrost cluster} (deploy/cluster) and the tests both start theirs here.
 * <p>
 * Everything lives in one folder: {@code spark-home/} (a Worker builds its executors' command lines from
 * {@code SPARK_HOME/jars}), {@code logs/}, {@code work-N/}, and {@code master.pid}, {@code worker-N.pid} and {@code port},
 * through which a later JVM stops the cluster or reports on it. Only processes are launched, no Spark API is called. The
 * processes outlive the JVM that started them: their output goes to log files, never to pipes that die with this JVM.
 */
public final class StandaloneCluster implements AutoCloseable {
    /** The module openings Spark's own launcher passes on Java 17; every Spark JVM needs them. */
    public static final List<String> OPENS = List.of("-XX:+IgnoreUnrecognizedVMOptions",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "-Djdk.reflect.useDirectMethodHandle=false");

    private static final String HOST = "127.0.0.1";
    private static final String MASTER = ClusterProcesses.MASTER;
    private static final String MASTER_CLASS = ClusterProcesses.MASTER_CLASS;
    private static final String WORKER_CLASS = ClusterProcesses.WORKER_CLASS;
    private static final String PORT_FILE = "port";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final int LOG_TAIL_LINES = 60;

    /**
     * What to start and where.
     *
     * @param dir            the cluster's folder: spark-home/, logs/, work-N/ and the pid files
     * @param workers        how many Worker JVMs
     * @param coresPerWorker cores each Worker offers its executors
     * @param workerMemory   memory each Worker offers its executors, such as 512m or 3g
     * @param port           the Master's port; 0 picks a free one
     * @param classpath      the JVM classpath of the Master and Worker JVMs
     * @param sparkJars      jars linked into SPARK_HOME/jars, the executors' own classpath; empty when the driver gives
     *                       executors their classes through {@code spark.executor.extraClassPath} (see {@link StandaloneCluster#driverConf()})
     * @param workerConf     spark.worker.* settings every Worker starts with, e.g. GPU resources and their discovery script
     */
    public record Settings(Path dir, int workers, int coresPerWorker, String workerMemory, int port, String classpath,
                           List<Path> sparkJars, Map<String, String> workerConf) {
        // Spark reads a size without a unit as bytes, so "3072" would be a Worker with 0 MB; insist on a unit.
        private static final Pattern MEMORY = Pattern.compile("(?i)[1-9]\\d*[mgt]b?");

        public Settings {
            dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
            require(workers >= 1, "workers must be at least 1, got " + workers);
            require(coresPerWorker >= 1, "cores per worker must be at least 1, got " + coresPerWorker);
            require(workerMemory != null && MEMORY.matcher(workerMemory).matches(),
                    "worker memory must be a size in m, g or t such as 512m or 3g, got '" + workerMemory + "'");
            require(port >= 0 && port <= 65535, "port must be 0 (a free port) or 1-65535, got " + port);
            require(classpath != null && !classpath.isBlank(), "the Master's and Workers' classpath is empty");
            sparkJars = List.copyOf(Objects.requireNonNull(sparkJars, "sparkJars"));
            workerConf = Map.copyOf(Objects.requireNonNull(workerConf, "workerConf"));
            for (String key : workerConf.keySet()) require(key.startsWith("spark.worker."), "worker settings are spark.worker.*, got " + key);
            for (Path jar : sparkJars) require(Files.isRegularFile(jar), "no such jar: " + jar);
        }

        /** A cluster whose Workers offer no resources beyond cores and memory. */
        public Settings(Path dir, int workers, int coresPerWorker, String workerMemory, int port, String classpath, List<Path> sparkJars) {
            this(dir, workers, coresPerWorker, workerMemory, port, classpath, sparkJars, Map.of());
        }

        private static void require(boolean ok, String message) {
            if (!ok) throw new IllegalArgumentException(message);
        }
    }

    /** Whether {@link #close()} deletes the cluster's folder: yes for a test's temporary one, no where the logs matter. */
    public enum OnClose { KEEP_DIR, DELETE_DIR }

    /** A running cluster as its folder records it: the Master's port and how many recorded Workers are alive. */
    public record Status(int port, int liveWorkers) {
        public String url() {
            return urlOf(port);
        }
    }

    private final Settings settings;
    private final OnClose onClose;
    private final int port;
    private Process master;
    private final List<Process> workers = new ArrayList<>();
    private boolean closed;

    private StandaloneCluster(Settings settings, OnClose onClose, int port) {
        this.settings = settings;
        this.onClose = onClose;
        this.port = port;
    }

    /** Starts a cluster whose folder {@link #close()} keeps. See {@link #start(Settings, OnClose)}. */
    public static StandaloneCluster start(Settings settings) throws IOException, InterruptedException {
        return start(settings, OnClose.KEEP_DIR);
    }

    /**
     * Starts the Master, then the Workers, and returns once every Worker has registered. Refuses a folder whose recorded
     * cluster is still alive. On failure the processes started so far are stopped and the error carries the log's tail.
     */
    public static StandaloneCluster start(Settings settings, OnClose onClose) throws IOException, InterruptedException {
        Objects.requireNonNull(onClose, "onClose");
        // Before anything is touched: preparing the folder would pull SPARK_HOME from under a running cluster.
        refuseIfRunning(settings.dir());
        StandaloneCluster cluster = new StandaloneCluster(settings, onClose, settings.port() == 0 ? freePort() : settings.port());
        try {
            cluster.prepareDir();
            cluster.startMaster();
            cluster.startWorkers();
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                cluster.close();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup); // the start-up failure is the one to report
            }
            throw e;
        }
    }

    /** Stops the cluster recorded in {@code dir}, the Workers' executors included, and returns how many Spark daemons it stopped. */
    public static int stop(Path dir) throws IOException {
        List<Path> pidFiles = ClusterProcesses.pidFiles(dir);
        List<ProcessHandle> live = new ArrayList<>();
        for (Path f : pidFiles) ClusterProcesses.recorded(f).ifPresent(live::add);
        int stopped = ClusterProcesses.stopTrees(live);
        for (Path f : pidFiles) Files.deleteIfExists(f);
        return stopped;
    }

    /** The cluster recorded in {@code dir} if its Master is alive; empty when it is not running. */
    public static Optional<Status> status(Path dir) throws IOException {
        if (ClusterProcesses.recorded(dir.resolve(MASTER + ".pid")).isEmpty()) return Optional.empty();
        int live = 0;
        for (Path f : ClusterProcesses.workerPidFiles(dir)) {
            if (ClusterProcesses.recorded(f).isPresent()) live++;
        }
        return Optional.of(new Status(Integer.parseInt(Files.readString(dir.resolve(PORT_FILE)).trim()), live));
    }

    public String url() {
        return urlOf(port);
    }

    /** The folder with master.log and worker-N.log. */
    public Path logs() {
        return settings.dir().resolve("logs");
    }

    /**
     * Spark settings a driver in another JVM needs for this cluster's executors: the Master's and Workers' classpath,
     * module openings, one BLAS thread, and loopback addresses.
     */
    public Map<String, String> driverConf() {
        return Map.of(
                "spark.executor.extraClassPath", settings.classpath(),
                "spark.executor.extraJavaOptions", String.join(" ", OPENS),
                "spark.executorEnv.OMP_NUM_THREADS", "1",
                "spark.executor.memory", "2g",
                "spark.driver.host", HOST,
                "spark.driver.bindAddress", HOST,
                "spark.ui.enabled", "false");
    }

    /** The executor JVMs the Workers have launched. */
    public List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.descendants().filter(p -> ClusterProcesses.commandLine(p).contains("CoarseGrainedExecutorBackend")).forEach(out::add);
        }
        return out;
    }

    /** Stops the Workers (with their executors) and the Master, removes their pid files, and deletes the folder if asked to. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<ProcessHandle> started = new ArrayList<>();
        workers.forEach(w -> started.add(w.toHandle()));
        if (master != null) started.add(master.toHandle());
        ClusterProcesses.stopTrees(started);
        try {
            if (onClose == OnClose.DELETE_DIR) {
                deleteRecursively(settings.dir());
            } else {
                for (Path f : ClusterProcesses.pidFiles(settings.dir())) Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up " + settings.dir(), e);
        }
    }

    private void prepareDir() throws IOException {
        Path home = settings.dir().resolve("spark-home");
        // A fresh SPARK_HOME: jars linked by an earlier start may since have been rebuilt under other names.
        if (Files.exists(home)) deleteRecursively(home);
        Path jars = Files.createDirectories(home.resolve("jars"));
        for (Path jar : settings.sparkJars()) {
            Path link = jars.resolve(jar.getFileName());
            Files.deleteIfExists(link); // the same jar name in two lib/ folders: the later one wins, as with ln -sf
            Files.createSymbolicLink(link, jar.toAbsolutePath());
        }
        Files.createDirectories(logs());
        // Pid files of an earlier cluster whose processes are all dead (refuseIfRunning checked): they would be counted.
        for (Path f : ClusterProcesses.pidFiles(settings.dir())) Files.delete(f);
    }

    private void startMaster() throws IOException, InterruptedException {
        Files.writeString(settings.dir().resolve(PORT_FILE), port + "\n");
        master = launch(MASTER, List.of(MASTER_CLASS, "--host", HOST, "--port", Integer.toString(port), "--webui-port", "0"));
        awaitLog(MASTER, master, "I have been elected leader");
    }

    private void startWorkers() throws IOException, InterruptedException {
        for (int i = 1; i <= settings.workers(); i++) {
            Path work = Files.createDirectories(settings.dir().resolve("work-" + i));
            List<String> mainAndArgs = new ArrayList<>();
            // Worker settings (resources such as GPUs and their discovery script) as system properties, which the Worker reads.
            new java.util.TreeMap<>(settings.workerConf()).forEach((k, v) -> mainAndArgs.add("-D" + k + "=" + v));
            mainAndArgs.addAll(List.of(WORKER_CLASS, url(), "--host", HOST,
                    "--cores", Integer.toString(settings.coresPerWorker()), "--memory", settings.workerMemory(),
                    "--webui-port", "0", "--work-dir", work.toString()));
            workers.add(launch("worker-" + i, mainAndArgs));
        }
        // Started all at once and awaited afterwards: the Workers' start-up times overlap.
        for (int i = 1; i <= settings.workers(); i++) {
            awaitLog("worker-" + i, workers.get(i - 1), "Successfully registered with master");
        }
    }

    /** Starts one Spark JVM with its output in logs/NAME.log and its pid in NAME.pid. */
    private Process launch(String name, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.addAll(OPENS);
        cmd.add("-cp");
        cmd.add(settings.classpath());
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(logOf(name).toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", settings.dir().resolve("spark-home").toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", HOST);
        // On small machines OpenMP threads contend for the cores; executors inherit this from their Worker.
        env.putIfAbsent("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        try {
            Files.writeString(settings.dir().resolve(name + ".pid"), p.pid() + "\n");
        } catch (IOException e) {
            p.destroyForcibly(); // not yet in master or workers, so close() would not stop it
            throw e;
        }
        return p;
    }

    /** Waits until NAME's log holds LINE; fails early if the process exits, and with the log's tail either way. */
    private void awaitLog(String name, Process process, String line) throws IOException, InterruptedException {
        Path log = logOf(name);
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (!read(log).contains(line)) {
            if (!process.isAlive()) {
                throw notStarted(name + " exited with code " + process.exitValue() + " before logging '" + line + "'", log);
            }
            if (System.nanoTime() > deadline) {
                throw notStarted(name + " did not log '" + line + "' within " + STARTUP_TIMEOUT.toSeconds() + " s", log);
            }
            Thread.sleep(200);
        }
    }

    private static IllegalStateException notStarted(String what, Path log) throws IOException {
        List<String> lines = read(log).lines().toList();
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        return new IllegalStateException(what + "; the end of " + log + ":\n" + (tail.isEmpty() ? "(empty)" : tail));
    }

    /** A log's text so far, empty before it exists; bytes that are not UTF-8 are replaced rather than failing the wait. */
    private static String read(Path log) throws IOException {
        return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
    }

    private Path logOf(String name) {
        return logs().resolve(name + ".log");
    }

    private static void refuseIfRunning(Path dir) throws IOException {
        Optional<Status> running = status(dir);
        if (running.isPresent()) {
            throw new IllegalStateException("already running at " + running.get().url() + "; stop it first");
        }
        // Orphaned Workers would register with the new Master and be counted as its own.
        for (Path f : ClusterProcesses.workerPidFiles(dir)) {
            if (ClusterProcesses.recorded(f).isPresent()) {
                throw new IllegalStateException("a Worker of an earlier cluster in " + dir + " is still running (" + f.getFileName()
                        + "); stop it first");
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.walk(dir)) { // does not follow links: the jars SPARK_HOME links to stay
            paths = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : paths) Files.deleteIfExists(p);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String urlOf(int port) {
        return "spark://" + HOST + ":" + port;
    }
}
