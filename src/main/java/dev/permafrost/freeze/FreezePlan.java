package dev.permafrost.freeze;

import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.List;

/**
 * Which parameters are frozen: those matched by some {@code freeze} selector and by no {@code keepTrainable}
 * selector. Exclusions win, so "freeze {@code pretrained.*} but keep {@code pretrained.bn.*} trainable" reads as
 * written. An empty plan freezes nothing.
 */
public record FreezePlan(List<ParamSelector> freeze, List<ParamSelector> keepTrainable) {

    public static final FreezePlan NOTHING_FROZEN = new FreezePlan(List.of(), List.of());

    public FreezePlan {
        freeze = List.copyOf(freeze);
        keepTrainable = List.copyOf(keepTrainable);
    }

    public static FreezePlan parse(List<String> freeze, List<String> keepTrainable) {
        return new FreezePlan(freeze.stream().map(ParamSelector::parse).toList(),
                keepTrainable.stream().map(ParamSelector::parse).toList());
    }

    public static FreezePlan freezing(String... patterns) {
        return parse(List.of(patterns), List.of());
    }

    /**
     * Labels every parameter of the table. Fails, naming the pattern and the closest names, when a selector
     * matches nothing (almost always a typo), and fails when nothing would be left to train.
     */
    public ParamLabels resolve(ParamTable table) {
        List<Label> labels = new ArrayList<>(table.size());
        boolean[] freezeUsed = new boolean[freeze.size()];
        boolean[] keepUsed = new boolean[keepTrainable.size()];
        for (NamedParam p : table.params()) {
            boolean frozen = false;
            for (int s = 0; s < freeze.size(); s++) {
                if (freeze.get(s).matches(p, table)) {
                    freezeUsed[s] = true;
                    frozen = true;
                }
            }
            for (int s = 0; s < keepTrainable.size(); s++) {
                if (keepTrainable.get(s).matches(p, table)) {
                    keepUsed[s] = true;
                    frozen = false;
                }
            }
            labels.add(frozen ? Label.FROZEN : Label.TRAINABLE);
        }
        requireUsed(freeze, freezeUsed, "freeze", table);
        requireUsed(keepTrainable, keepUsed, "keep-trainable", table);
        if (!labels.isEmpty() && !labels.contains(Label.TRAINABLE)) {
            throw new FreezePlanException("the plan " + describe() + " freezes every parameter of the network ("
                    + table.size() + " parameters), so training would change nothing. Keep some trainable: narrow the "
                    + "freeze patterns or add a keep-trainable pattern such as '" + lastLayerGlob(table) + "'.");
        }
        return new ParamLabels(table, labels);
    }

    public String describe() {
        StringBuilder sb = new StringBuilder("{freeze ");
        sb.append(freeze.stream().map(ParamSelector::text).toList());
        if (!keepTrainable.isEmpty()) sb.append(", keep trainable ").append(keepTrainable.stream().map(ParamSelector::text).toList());
        return sb.append('}').toString();
    }

    private static void requireUsed(List<ParamSelector> selectors, boolean[] used, String role, ParamTable table) {
        for (int s = 0; s < selectors.size(); s++) {
            if (used[s]) continue;
            ParamSelector sel = selectors.get(s);
            String hint;
            if (sel instanceof ParamSelector.LayerRange) {
                hint = "the network has layers 0-" + (table.layerNames().size() - 1) + " " + table.layerNames();
            } else if (sel instanceof ParamSelector.AllButLast) {
                hint = "the network has " + table.layerNames().size() + " layers";
            } else {
                hint = "available names, closest first: " + String.join(", ",
                        ClosestNames.rank(sel.text(), table.names()).stream().limit(12).toList())
                        + (table.size() > 12 ? ", … (" + table.size() + " in all; list them with 'permafrost params')" : "");
            }
            throw new FreezePlanException(role + " pattern '" + sel.text() + "' matches no parameter; " + hint
                    + ". Patterns are globs over full names ('pretrained.*'), 're:REGEX', 'layers:FROM-TO' or 'all-but-last:N'.");
        }
    }

    private static String lastLayerGlob(ParamTable table) {
        List<String> layers = table.layerNames();
        return layers.isEmpty() ? "*" : layers.get(layers.size() - 1) + ".*";
    }
}
