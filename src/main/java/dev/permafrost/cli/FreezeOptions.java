package dev.permafrost.cli;

import dev.permafrost.freeze.FreezePlan;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The freeze patterns every command takes. */
final class FreezeOptions {
    @Option(names = "--freeze", paramLabel = "PATTERN",
            description = "Freeze parameters matching PATTERN (repeatable): a glob over full names ('pretrained.*'), "
                    + "'re:REGEX', 'layers:FROM-TO' or 'all-but-last:N'.")
    List<String> freeze = new ArrayList<>();

    @Option(names = "--keep-trainable", paramLabel = "PATTERN",
            description = "Keep parameters matching PATTERN trainable even if a --freeze pattern matches them (repeatable).")
    List<String> keepTrainable = new ArrayList<>();

    /** The plan the options give; its warnings (duplicate patterns) go to standard error, away from the output. */
    FreezePlan plan() {
        FreezePlan plan = FreezePlan.parse(freeze, keepTrainable);
        plan.warnings().forEach(w -> System.err.println("warning: " + w));
        return plan;
    }
}
