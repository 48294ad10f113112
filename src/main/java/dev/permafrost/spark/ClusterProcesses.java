package dev.permafrost.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The processes of a {@link StandaloneCluster} as its folder records them: pid files, whether a recorded pid is still the
 * Spark daemon it was written for, and stopping daemons with their executors. Used by the JVM that started a cluster
 * and by a later one that stops it.
 */
final class ClusterProcesses {
    static final String MASTER = "master";
    static final String MASTER_CLASS = "org.apache.spark.deploy.master.Master";
    static final String WORKER_CLASS = "org.apache.spark.deploy.worker.Worker";
    private static final Pattern WORKER_PID_FILE = Pattern.compile("worker-\\d+\\.pid");
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private ClusterProcesses() {
    }

    /** The pid files in {@code dir}, the Workers' and then the Master's. */
    static List<Path> pidFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>(workerPidFiles(dir));
        Path master = dir.resolve(MASTER + ".pid");
        if (Files.isRegularFile(master)) files.add(master);
        return files;
    }

    static List<Path> workerPidFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> WORKER_PID_FILE.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
    }

    /** The live process a pid file records, if it is still the Spark JVM that file was written for. */
    static Optional<ProcessHandle> recorded(Path pidFile) throws IOException {
        if (!Files.isRegularFile(pidFile)) return Optional.empty();
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        String mainClass = pidFile.getFileName().toString().startsWith(MASTER) ? MASTER_CLASS : WORKER_CLASS;
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> runs(p, mainClass));
    }

    /** A pid file can outlive its process (a reboot) and the pid be reused: never signal a process that is not ours. */
    static boolean runs(ProcessHandle p, String mainClass) {
        String cmd = commandLine(p);
        // Without /proc (not Linux) the command line may be unknown; then the pid file is all there is to go on.
        return cmd.contains(mainClass) || (cmd.isEmpty() && !Files.isDirectory(Path.of("/proc")));
    }

    /** The full command line from /proc: the JDK's ProcessHandle.Info leaves out very long ones (a test classpath). */
    static String commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return p.info().commandLine().orElse("");
        }
    }

    /**
     * Stops each live root process and its descendants (a Worker's executors) and returns how many roots were alive.
     * SIGTERM first so the JVMs exit cleanly, SIGKILL for any still alive after a grace period.
     */
    static int stopTrees(List<ProcessHandle> roots) {
        List<ProcessHandle> all = new ArrayList<>();
        int live = 0;
        for (ProcessHandle root : roots) {
            if (!root.isAlive()) continue;
            live++;
            // Taken before the root dies: once a Worker exits, its executors are no longer its descendants.
            root.descendants().forEach(all::add);
            all.add(root);
        }
        all.forEach(ProcessHandle::destroy);
        awaitExit(all, STOP_GRACE);
        all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        awaitExit(all, STOP_GRACE);
        return live;
    }

    static void awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                // Stopping goes on without waiting (the caller escalates to SIGKILL); the interrupt stays visible.
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
