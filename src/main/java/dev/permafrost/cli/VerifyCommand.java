package dev.permafrost.cli;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.StoredParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
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

    @Override
    public Integer call() {
        HadoopFiles files = new HadoopFiles(new org.apache.hadoop.conf.Configuration());
        StoredParams a = load(files, before);
        StoredParams b = load(files, after);
        ParamTable ta = a.table();
        ParamTable tb = b.table();
        ParamLabels labels = freeze.plan().resolve(tb);
        boolean sameType = a.dataType() == b.dataType();
        if (sameType && !a.readable()) {
            throw new IllegalArgumentException(before + " and " + after + " store their parameters as " + a.dataType()
                    + ": verify compares float32 (FLOAT) and float64 (DOUBLE) parameters bit for bit, and no other type");
        }
        // Values of different types are never the same stored bits: a float64 weight rounded to float32 is another weight.
        String typesDiffer = "stored as " + a.dataType() + " in " + before + ", " + b.dataType() + " in " + after;
        List<String> frozenChanged = new ArrayList<>();
        int nameWidth = 4;
        for (NamedParam p : tb.params()) nameWidth = Math.max(nameWidth, p.name().length());
        String row = "%-" + nameWidth + "s  %-9s  %-11s  %s%n";
        System.out.printf(row, "name", "label", "result", "detail");
        for (int i = 0; i < tb.size(); i++) {
            NamedParam pb = tb.get(i);
            int j = ta.indexOf(pb.name());
            String label = labels.label(i).text();
            if (j < 0 || !ta.get(j).shape().equals(pb.shape()) || !sameType) {
                String why = j < 0 ? "not in " + before
                        : !ta.get(j).shape().equals(pb.shape()) ? "shape " + ta.get(j).shapeText() + " -> " + pb.shapeText()
                        : typesDiffer;
                System.out.printf(row, pb.name(), label, "different", why);
                if (labels.label(i) == Label.FROZEN) frozenChanged.add(pb.name());
                continue;
            }
            NamedParam pa = ta.get(j);
            long changed = 0;
            double maxDiff = 0;
            for (long k = 0; k < pb.length(); k++) {
                long x = pa.offset() + k;
                long y = pb.offset() + k;
                if (a.rawBits(x) != b.rawBits(y)) {
                    changed++;
                    maxDiff = Math.max(maxDiff, Math.abs(a.value(x) - b.value(y)));
                }
            }
            if (changed == 0) {
                System.out.printf(row, pb.name(), label, "identical", "all " + pb.length() + " elements, bit for bit");
            } else {
                System.out.printf(Locale.ROOT, row, pb.name(), label, "changed",
                        String.format(Locale.ROOT, "%d of %d elements, max |diff| %.3g", changed, pb.length(), maxDiff));
                if (labels.label(i) == Label.FROZEN) frozenChanged.add(pb.name());
            }
        }
        if (!frozenChanged.isEmpty()) {
            System.out.println("FAILED: frozen parameters differ: " + String.join(", ", frozenChanged));
            return 1;
        }
        System.out.printf("OK: every parameter the plan freezes (%d) is bit-identical%n", labels.names(Label.FROZEN).size());
        return 0;
    }

    /** The model's parameters as stored: no conversion to float32, which training needs and verifying must not do. */
    private static StoredParams load(HadoopFiles files, String uri) {
        if (!files.exists(uri)) throw new IllegalArgumentException("model " + uri + " does not exist");
        return StoredParams.load(files.local(uri));
    }
}
