package dev.permafrost.freeze;

import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.List;

/** A plan resolved against one network: the label of every parameter, in the table's order. */
public record ParamLabels(ParamTable table, List<Label> labels) {

    public ParamLabels {
        labels = List.copyOf(labels);
        if (labels.size() != table.size()) {
            throw new IllegalArgumentException("labels for " + labels.size() + " parameters, but the network has " + table.size());
        }
    }

    public static ParamLabels allTrainable(ParamTable table) {
        return new ParamLabels(table, java.util.Collections.nCopies(table.size(), Label.TRAINABLE));
    }

    public Label label(int paramIndex) {
        return labels.get(paramIndex);
    }

    public Label label(String name) {
        int i = table.indexOf(name);
        if (i < 0) table.byName(name); // throws with the list of names
        return labels.get(i);
    }

    public boolean isFrozen(int paramIndex) {
        return labels.get(paramIndex) == Label.FROZEN;
    }

    public List<String> names(Label label) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i) == label) out.add(table.get(i).name());
        }
        return out;
    }

    public long elements(Label label) {
        long n = 0;
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i) == label) n += table.get(i).length();
        }
        return n;
    }

    /** True when every parameter of the layer at this position is frozen: the layer then runs in inference mode. */
    public boolean layerFullyFrozen(int layerIndex) {
        boolean any = false;
        for (int i = 0; i < labels.size(); i++) {
            NamedParam p = table.get(i);
            if (p.layerIndex() != layerIndex) continue;
            any = true;
            if (labels.get(i) != Label.FROZEN) return false;
        }
        return any;
    }
}
