package dev.permafrost.cli;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Compares two saved models parameter by parameter: the after-epoch equality check users write by hand. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compare two saved models parameter by parameter: identical bits, or how many elements changed and by how much. "
                + "Exits 1 if a parameter the plan freezes differs.")
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
        Network a = load(files, before);
        Network b = load(files, after);
        ParamTable ta = a.params();
        ParamTable tb = b.params();
        ParamLabels labels = freeze.plan().resolve(tb);
        float[] fa = a.paramsCopy();
        float[] fb = b.paramsCopy();
        List<String> frozenChanged = new ArrayList<>();
        int nameWidth = 4;
        for (NamedParam p : tb.params()) nameWidth = Math.max(nameWidth, p.name().length());
        String row = "%-" + nameWidth + "s  %-9s  %-11s  %s%n";
        System.out.printf(row, "name", "label", "result", "detail");
        for (int i = 0; i < tb.size(); i++) {
            NamedParam pb = tb.get(i);
            int j = ta.indexOf(pb.name());
            String label = labels.label(i).text();
            if (j < 0 || !ta.get(j).shape().equals(pb.shape())) {
                String why = j < 0 ? "not in " + before : "shape " + ta.get(j).shapeText() + " -> " + pb.shapeText();
                System.out.printf(row, pb.name(), label, "different", why);
                if (labels.label(i) == Label.FROZEN) frozenChanged.add(pb.name());
                continue;
            }
            NamedParam pa = ta.get(j);
            long changed = 0;
            double maxDiff = 0;
            for (long k = 0; k < pb.length(); k++) {
                float x = fa[(int) (pa.offset() + k)];
                float y = fb[(int) (pb.offset() + k)];
                if (Float.floatToRawIntBits(x) != Float.floatToRawIntBits(y)) {
                    changed++;
                    maxDiff = Math.max(maxDiff, Math.abs((double) x - y));
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

    private static Network load(HadoopFiles files, String uri) {
        if (!files.exists(uri)) throw new IllegalArgumentException("model " + uri + " does not exist");
        return Dl4jNetworks.load(files.local(uri));
    }
}
