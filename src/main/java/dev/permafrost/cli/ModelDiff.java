package dev.permafrost.cli;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.StoredParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Two saved models compared parameter by parameter in the type they are stored in (raw bits of float32 or float64),
 * never through a conversion that could make two different weights look identical: what {@code verify} prints and
 * what {@code retrain} checks before it publishes.
 *
 * @param rows          one per parameter of the later model: its label, "identical", "changed" or "different", and why
 * @param frozenChanged the parameters {@code labels} freezes whose bits differ (or that cannot be compared)
 * @param frozenCount   how many parameters {@code labels} freezes
 */
record ModelDiff(List<Row> rows, List<String> frozenChanged, int frozenCount) {
    record Row(String name, String label, String result, String detail) {
    }

    static ModelDiff of(StoredParams a, String before, StoredParams b, String after, ParamLabels labels) {
        ParamTable ta = a.table();
        ParamTable tb = b.table();
        boolean sameType = a.dataType() == b.dataType();
        if (sameType && !a.readable()) {
            throw new IllegalArgumentException(before + " and " + after + " store their parameters as " + a.dataType()
                    + ": verify compares float32 (FLOAT) and float64 (DOUBLE) parameters bit for bit, and no other type");
        }
        // Values of different types are never the same stored bits: a float64 weight rounded to float32 is another weight.
        String typesDiffer = "stored as " + a.dataType() + " in " + before + ", " + b.dataType() + " in " + after;
        List<Row> rows = new ArrayList<>();
        List<String> frozenChanged = new ArrayList<>();
        for (int i = 0; i < tb.size(); i++) {
            NamedParam pb = tb.get(i);
            int j = ta.indexOf(pb.name());
            String label = labels.label(i).text();
            boolean frozen = labels.label(i) == Label.FROZEN;
            if (j < 0 || !ta.get(j).shape().equals(pb.shape()) || !sameType) {
                String why = j < 0 ? "not in " + before
                        : !ta.get(j).shape().equals(pb.shape()) ? "shape " + ta.get(j).shapeText() + " -> " + pb.shapeText()
                        : typesDiffer;
                rows.add(new Row(pb.name(), label, "different", why));
                if (frozen) frozenChanged.add(pb.name());
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
                rows.add(new Row(pb.name(), label, "identical", "all " + pb.length() + " elements, bit for bit"));
            } else {
                rows.add(new Row(pb.name(), label, "changed",
                        String.format(Locale.ROOT, "%d of %d elements, max |diff| %.3g", changed, pb.length(), maxDiff)));
                if (frozen) frozenChanged.add(pb.name());
            }
        }
        return new ModelDiff(List.copyOf(rows), List.copyOf(frozenChanged), labels.names(Label.FROZEN).size());
    }
}
