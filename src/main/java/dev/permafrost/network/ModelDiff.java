package dev.permafrost.network;

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
 * @param rows          one per parameter of the later model (by DL4J's names): its label, "identical", "changed" or "different", and why
 * @param frozenChanged the parameters {@code labels} freezes whose bits differ (or that cannot be compared)
 * @param frozenCount   how many parameters {@code labels} freezes
 */
public record ModelDiff(List<Row> rows, List<String> frozenChanged, int frozenCount) {
    public record Row(String name, String label, String result, String detail) {
    }

    /**
     * Compares every parameter of {@code b} with the same-named one of {@code a}, both read by name through DL4J's own
     * {@code paramTable()} views of each saved model: no offset of Permafrost's map takes part, so a wrong map cannot
     * make a moved parameter look unchanged. {@code labels} (over {@code b}'s table) only say which names are frozen;
     * a frozen name that DL4J's views of {@code b} do not hold is reported as different.
     */
    public static ModelDiff of(StoredParams a, String before, StoredParams b, String after, ParamLabels labels) {
        boolean sameType = a.dataType() == b.dataType();
        if (sameType && !a.readable()) {
            throw new IllegalArgumentException(before + " and " + after + " store their parameters as " + a.dataType()
                    + ": verify compares float32 (FLOAT) and float64 (DOUBLE) parameters bit for bit, and no other type");
        }
        // Values of different types are never the same stored bits: a float64 weight rounded to float32 is another weight.
        String typesDiffer = "stored as " + a.dataType() + " in " + before + ", " + b.dataType() + " in " + after;
        ParamTable tb = labels.table();
        List<Row> rows = new ArrayList<>();
        List<String> frozenChanged = new ArrayList<>();
        java.util.Set<String> named = new java.util.LinkedHashSet<>(b.viewNames());
        for (NamedParam p : tb.params()) named.add(p.name());
        for (String name : named) {
            int i = tb.indexOf(name);
            String label = i < 0 ? "?" : labels.label(i).text();
            boolean frozen = i >= 0 && labels.label(i) == Label.FROZEN;
            var shapeA = a.shape(name);
            var shapeB = b.shape(name);
            if (shapeB.isEmpty() || shapeA.isEmpty() || !shapeA.equals(shapeB) || !sameType) {
                String why = shapeB.isEmpty() ? "not among DL4J's parameters of " + after
                        : shapeA.isEmpty() ? "not in " + before
                        : !shapeA.equals(shapeB) ? "shape " + NamedParam.shapeText(shapeA.get()) + " -> " + NamedParam.shapeText(shapeB.get())
                        : typesDiffer;
                rows.add(new Row(name, label, "different", why));
                if (frozen) frozenChanged.add(name);
                continue;
            }
            long[] bitsA = a.rawBits(name);
            long[] bitsB = b.rawBits(name);
            double[] valuesA = null;
            double[] valuesB = null;
            long changed = 0;
            double maxDiff = 0;
            for (int k = 0; k < bitsB.length; k++) {
                if (bitsA[k] != bitsB[k]) {
                    if (valuesA == null) {
                        valuesA = a.values(name);
                        valuesB = b.values(name);
                    }
                    changed++;
                    maxDiff = Math.max(maxDiff, Math.abs(valuesA[k] - valuesB[k]));
                }
            }
            if (changed == 0) {
                rows.add(new Row(name, label, "identical", "all " + bitsB.length + " elements, bit for bit"));
            } else {
                rows.add(new Row(name, label, "changed",
                        String.format(Locale.ROOT, "%d of %d elements, max |diff| %.3g", changed, bitsB.length, maxDiff)));
                if (frozen) frozenChanged.add(name);
            }
        }
        return new ModelDiff(List.copyOf(rows), List.copyOf(frozenChanged), labels.names(Label.FROZEN).size());
    }
}
