package dev.permafrost.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code permafrost} command line: one entry point, one subcommand per job. */
@Command(name = "permafrost", mixinStandardHelpOptions = true, version = "Permafrost 0.1.0",
        description = "Fine-tuning where frozen weights provably never move.",
        subcommands = {ImportCommand.class, PretrainCommand.class, FinetuneCommand.class, VerifyCommand.class, ParamsCommand.class,
                OptimReplayCommand.class, DemoCommand.class, BenchmarkCommand.class, ClusterCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code: 0 done, 1 a check failed, 2 bad input. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
                line.getErr().println("permafrost " + line.getCommandName() + ": " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
