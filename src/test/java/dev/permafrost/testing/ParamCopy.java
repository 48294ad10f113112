package dev.permafrost.testing;

import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Copies parameters between two networks by name: how a pretrained block moves into a model with a new head. */
public final class ParamCopy {
    private ParamCopy() {
    }

    /**
     * Copies every parameter of {@code to} that {@code which} selects from the same-named parameter of {@code from}.
     * Returns the names copied; fails naming the parameter when one is missing or its shape differs.
     */
    public static List<String> byName(ParamTable from, float[] fromFlat, ParamTable to, float[] toFlat, Predicate<NamedParam> which) {
        List<String> copied = new ArrayList<>();
        for (NamedParam dst : to.params()) {
            if (!which.test(dst)) continue;
            int i = from.indexOf(dst.name());
            if (i < 0) throw new IllegalArgumentException("the source network has no parameter " + dst.name() + " to copy");
            NamedParam src = from.get(i);
            if (!src.shape().equals(dst.shape())) {
                throw new IllegalArgumentException("parameter " + dst.name() + " has shape " + src.shapeText() + " in the source but "
                        + dst.shapeText() + " in the target");
            }
            System.arraycopy(fromFlat, (int) src.offset(), toFlat, (int) dst.offset(), (int) dst.length());
            copied.add(dst.name());
        }
        return copied;
    }
}
