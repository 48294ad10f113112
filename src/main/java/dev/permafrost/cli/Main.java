package dev.permafrost.cli;

import dev.permafrost.shard.CheckFailedException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code permafrost} command line: one entry point, one subcommand per job. */
@Command(name = "permafrost", mixinStandardHelpOptions = true, version = "Permafrost 0.1.0",
        description = "Fine-tuning where frozen weights provably never move.",
        subcommands = {ImportCommand.class, PretrainCommand.class, FinetuneCommand.class, RetrainCommand.class, VerifyCommand.class, ParamsCommand.class,
                OptimReplayCommand.class, FreezeDemoCommand.class, BenchmarkCommand.class, ClusterCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Exit code of a failure no check or input explains: out of memory, a full disk, a bug. */
    static final int UNEXPECTED = 4;

    public static void main(String[] args) {
        // A signal (SIGINT, SIGTERM) runs the JVM's shutdown hooks, Spark's among them, which stop the context under
        // the running job; the JVM then ends with 130 or 143. Say so once, and what a rerun does.
        java.util.concurrent.atomic.AtomicBoolean returned = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!returned.get()) {
                System.err.println("permafrost: stopped by a signal (SIGINT or SIGTERM): Spark is stopped and the output lock released; "
                        + "checkpoints already written are kept, and rerunning the same command resumes from the last one");
            }
        }, "permafrost signal message"));
        int code;
        try {
            code = run(args);
        } catch (Throwable t) {
            // Whatever failed, the JVM ends here: Spark's and gRPC's non-daemon threads (Spark's barrier timer among them)
            // would otherwise keep it alive forever, and a scheduler would wait on it.
            System.err.println("permafrost: failed unexpectedly: " + t);
            t.printStackTrace();
            code = UNEXPECTED;
        }
        returned.set(true);
        System.exit(code);
    }

    /** Runs a command line and returns its exit code: 0 done, 1 a check failed, 2 bad input. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            int code = exitCodeOf(ex);
            var full = fullDisk(ex);
            if (full.isPresent()) {
                line.getErr().println("permafrost " + line.getCommandName() + ": the disk is full: " + full.get() + ". Nothing written before "
                        + "is lost: free space there and rerun the same command; it resumes from the last checkpoint.");
                return UNEXPECTED;
            }
            if (code == 1) line.getErr().println("permafrost " + line.getCommandName() + ": FAILED: " + ex.getMessage());
            else if (code == 2) line.getErr().println("permafrost " + line.getCommandName() + ": " + ex.getMessage());
            else {
                // Not rethrown: picocli would print it and return 1, the code of a failed check.
                line.getErr().println("permafrost " + line.getCommandName() + ": failed unexpectedly: " + ex);
                ex.printStackTrace(line.getErr());
                return UNEXPECTED;
            }
            return code;
        });
        return cli.execute(args);
    }

    /**
     * The message of a failed write to a full disk (or an HDFS quota) in {@code failure}'s cause chain: it names the
     * file and the reason.
     */
    static java.util.Optional<String> fullDisk(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("No space left on device") || m.contains("quota") && m.contains("exceeded")) return java.util.Optional.of(firstLine(failure, m));
        }
        return java.util.Optional.empty();
    }

    /** The outermost message that names what was written, else the reason itself. */
    private static String firstLine(Throwable failure, String reason) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.startsWith("cannot write") || m.startsWith("cannot replace")) return m.lines().findFirst().orElse(m);
        }
        return reason.lines().findFirst().orElse(reason);
    }

    /**
     * The exit code a failure means: 1 a check failed (a frozen copy changed, a non-finite loss or gradient, a worker that
     * broke the protocol), 2 bad input (the message names it and the fix), -1 anything else (a bug: it propagates).
     */
    public static int exitCodeOf(Throwable failure) {
        if (failure instanceof CheckFailedException) return 1;
        if (failure instanceof IllegalArgumentException || failure instanceof IllegalStateException) return 2;
        return -1;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
