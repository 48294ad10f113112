package dev.permafrost.cli;

import dev.permafrost.optim.GoldenReplay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Replays PyTorch reference trajectories through the kernels: parity users can check for themselves. */
@Command(name = "optim-replay", mixinStandardHelpOptions = true,
        description = "Replay an adam-golden/v1 file through the Adam/AdamW kernels and report, per case, bit-exact or the first "
                + "differing element. Exits 1 on any mismatch.")
final class OptimReplayCommand implements Callable<Integer> {
    @Option(names = "--golden", required = true, paramLabel = "FILE", description = "Reference file (schema adam-golden/v1).")
    Path golden;

    @Option(names = "--no-fma", description = "Round after every operation (files recorded without fused multiply-add).")
    boolean noFma;

    @Override
    public Integer call() {
        List<GoldenReplay.CaseResult> results;
        try {
            results = GoldenReplay.replay(golden, !noFma);
        } catch (GoldenReplay.GoldenFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        int passed = 0;
        for (GoldenReplay.CaseResult r : results) {
            if (r.exact()) {
                passed++;
                System.out.printf("bit-exact  %s (%d steps x %d elements)%n", r.id(), r.steps(), r.elements());
            } else {
                System.out.printf("MISMATCH   %s: %s%n", r.id(), r.firstDifference().orElseThrow());
            }
        }
        int failed = results.size() - passed;
        System.out.printf("%d passed, %d failed%n", passed, failed);
        if (failed > 0 && !noFma) {
            System.out.println("hint: if the file was recorded without fused multiply-add (ATEN_CPU_CAPABILITY=default), add --no-fma");
        }
        return failed == 0 ? 0 : 1;
    }
}
