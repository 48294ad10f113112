package dev.permafrost.cli;

import dev.permafrost.network.ModelDiff;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.network.StoredParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Compares two saved models parameter by parameter: the after-epoch equality check users write by hand. Values are
 * compared in the type they are stored in (raw bits of float32 or float64), never through a conversion that could
 * make two different weights look identical.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compare two saved models parameter by parameter, in the type they are stored in (raw bits of float32 or float64): "
                + "identical bits, or how many elements changed and by how much. Exits 1 if a parameter the plan freezes differs.")
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--before", required = true, paramLabel = "A.zip", description = "The earlier model (any Hadoop FileSystem URI).")
    String before;
    @Option(names = "--after", required = true, paramLabel = "B.zip", description = "The later model.")
    String after;
    @Mixin
    FreezeOptions freeze;
    @Option(names = "--all", description = "Require every parameter to be bit-identical (are the two models the same?), "
            + "instead of the parameters a freeze plan names.")
    boolean all;

    @Override
    public Integer call() {
        HadoopFiles files = new HadoopFiles(new org.apache.hadoop.conf.Configuration());
        StoredParams b = load(files, after);
        if (all && !freeze.freeze.isEmpty()) {
            throw new IllegalArgumentException("--all compares every parameter; leave out --freeze, or drop --all to check the plan's parameters");
        }
        // --all holds every parameter to the frozen standard; a freeze plan may not freeze everything, so it is not one.
        ParamLabels labels = all ? new ParamLabels(b.table(), java.util.Collections.nCopies(b.table().size(), Label.FROZEN))
                : freeze.plan().resolve(b.table());
        ModelDiff diff = ModelDiff.of(load(files, before), before, b, after, labels);
        int nameWidth = 4;
        for (ModelDiff.Row r : diff.rows()) nameWidth = Math.max(nameWidth, r.name().length());
        String row = "%-" + nameWidth + "s  %-9s  %-11s  %s%n";
        System.out.printf(row, "name", "label", "result", "detail");
        for (ModelDiff.Row r : diff.rows()) System.out.printf(Locale.ROOT, row, r.name(), r.label(), r.result(), r.detail());
        if (!diff.frozenChanged().isEmpty()) {
            System.out.println("FAILED: " + (all ? "parameters differ: " : "frozen parameters differ: ") + String.join(", ", diff.frozenChanged()));
            return 1;
        }
        System.out.printf(all ? "OK: every parameter (%d) is bit-identical%n" : "OK: every parameter the plan freezes (%d) is bit-identical%n",
                diff.frozenCount());
        return 0;
    }

    /** The model's parameters as stored: no conversion to float32, which training needs and verifying must not do. */
    private static StoredParams load(HadoopFiles files, String uri) {
        if (!files.exists(uri)) throw new IllegalArgumentException("model " + uri + " does not exist");
        return StoredParams.load(files.local(uri));
    }
}
