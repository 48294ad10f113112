package dev.permafrost.cli;

import dev.permafrost.spark.StandaloneCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code permafrost cluster start|stop|status}: the local Spark standalone cluster behind deploy/cluster, from the jars in lib/. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "A real Spark standalone cluster on 127.0.0.1 from lib/: a Master and N Worker JVMs that launch executor JVMs.",
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class, ClusterCommand.Status.class})
final class ClusterCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** No action named: the usage, and exit 2 like any other bad input. */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return 2;
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a Master and N Workers; they keep running after this command returns.")
    static final class Start implements Callable<Integer> {
        @Option(names = "--workers", defaultValue = "2", paramLabel = "N", description = "Worker JVMs (default ${DEFAULT-VALUE}).")
        int workers;
        @Option(names = "--cores", defaultValue = "1", paramLabel = "C", description = "Cores per Worker (default ${DEFAULT-VALUE}).")
        int cores;
        @Option(names = "--memory", defaultValue = "3g", paramLabel = "M",
                description = "Memory per Worker for its executors (default ${DEFAULT-VALUE}).")
        String memory;
        @Option(names = "--port", defaultValue = "7077", paramLabel = "P",
                description = "The Master's port; 0 picks a free one (default ${DEFAULT-VALUE}).")
        int port;
        @Mixin
        ClusterDir dir;

        @Override
        public Integer call() throws IOException, InterruptedException {
            return reported(() -> {
                Lib lib = Lib.built();
                var settings = new StandaloneCluster.Settings(dir.path(), workers, cores, memory, port, lib.classpath(), lib.sparkJars());
                // Not closed: the cluster is meant to outlive this command, until `cluster stop`.
                StandaloneCluster cluster = StandaloneCluster.start(settings);
                System.out.printf("cluster: %s with %d workers x %d cores (%s each); logs in %s%n", cluster.url(), workers, cores, memory,
                        cluster.logs());
                return 0;
            });
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the cluster recorded in DIR, executors included.")
    static final class Stop implements Callable<Integer> {
        @Mixin
        ClusterDir dir;

        @Override
        public Integer call() throws IOException, InterruptedException {
            return reported(() -> {
                System.out.println("cluster: stopped " + StandaloneCluster.stop(dir.path()) + " processes");
                return 0;
            });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Whether the cluster recorded in DIR runs (exit 0) or not (exit 1).")
    static final class Status implements Callable<Integer> {
        @Mixin
        ClusterDir dir;

        @Override
        public Integer call() throws IOException, InterruptedException {
            return reported(() -> {
                Optional<StandaloneCluster.Status> status = StandaloneCluster.status(dir.path());
                if (status.isEmpty()) {
                    System.out.println("cluster: not running");
                    return 1;
                }
                System.out.println("cluster: running at " + status.get().url() + " with " + status.get().liveWorkers()
                        + " live workers");
                return 0;
            });
        }
    }

    /** --dir, which every action takes. */
    static final class ClusterDir {
        @Option(names = "--dir", paramLabel = "DIR",
                description = "The cluster's folder: its SPARK_HOME, logs, work dirs and process ids "
                        + "(default out/cluster in the Permafrost folder).")
        Path dir;

        /** As deploy/cluster always had it: out/cluster beside lib/, wherever the command is run from. */
        Path path() {
            return dir != null ? dir : Lib.location().getParent().resolve("out").resolve("cluster");
        }
    }

    /** The jars the build put in lib/: Spark's (provided/), Permafrost's dependencies (runtime/) and permafrost.jar. */
    private record Lib(Path dir) {
        /** Where deploy/permafrost says (-Dpermafrost.lib), else lib/ in the working folder. */
        static Path location() {
            return Path.of(System.getProperty("permafrost.lib", "lib")).toAbsolutePath().normalize();
        }

        static Lib built() {
            Path dir = location();
            if (!Files.isDirectory(dir.resolve("provided")) || !Files.isRegularFile(dir.resolve("permafrost.jar"))) {
                throw new IllegalStateException(dir + " is not built (no provided/ or permafrost.jar); run (cd " + dir.getParent()
                        + " && mvn -q -B package -DskipTests) first");
            }
            return new Lib(dir);
        }

        /** The Master's and Workers' classpath: everything, as Spark's own launcher gives them all of SPARK_HOME/jars. */
        String classpath() {
            return String.join(File.pathSeparator, dir.resolve("provided") + File.separator + "*",
                    dir.resolve("runtime") + File.separator + "*", dir.resolve("permafrost.jar").toString());
        }

        /** The executors' classpath: the Spark job's classes and their dependencies, Spark's own included. */
        List<Path> sparkJars() throws IOException {
            List<Path> jars = new ArrayList<>(jarsIn(dir.resolve("provided")));
            jars.addAll(jarsIn(dir.resolve("runtime")));
            jars.add(dir.resolve("permafrost.jar"));
            return jars;
        }

        private static List<Path> jarsIn(Path folder) throws IOException {
            if (!Files.isDirectory(folder)) return List.of();
            try (Stream<Path> s = Files.list(folder)) {
                return s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
            }
        }
    }

    @FunctionalInterface
    private interface Action {
        int run() throws IOException, InterruptedException;
    }

    /**
     * Runs an action, printing bad options, a refusal or a failed start as "cluster: ..." with exit 2: Main's own handler
     * would name the action ("permafrost start: ...") rather than the command, and deploy/cluster's users know these lines.
     */
    private static int reported(Action action) throws IOException, InterruptedException {
        try {
            return action.run();
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("cluster: " + e.getMessage());
            return 2;
        }
    }
}
