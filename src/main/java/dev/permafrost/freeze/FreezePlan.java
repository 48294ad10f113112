package dev.permafrost.freeze;

import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which parameters are frozen: those matched by some {@code freeze} selector and by no {@code keepTrainable}
 * selector. Exclusions win, so "freeze {@code pretrained.*} but keep {@code pretrained.bn.*} trainable" reads as
 * written. An empty plan freezes nothing. A keep-trainable pattern may take back part of a freeze pattern, never all
 * of it (that is an error); repeated patterns resolve but are reported by {@link #warnings()}.
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
     * matches nothing (almost always a typo); fails, naming both, when keep-trainable patterns take back every
     * parameter a freeze pattern matches (so it freezes nothing); and fails when nothing would be left to train.
     * Duplicate patterns are not errors: see {@link #warnings()}.
     */
    public ParamLabels resolve(ParamTable table) {
        List<Label> labels = new ArrayList<>(table.size());
        boolean[] freezeUsed = new boolean[freeze.size()];
        boolean[] freezeEffective = new boolean[freeze.size()]; // froze at least one parameter no keep-trainable took back
        boolean[] keepUsed = new boolean[keepTrainable.size()];
        List<Set<Integer>> cancelledBy = new ArrayList<>(freeze.size()); // per freeze pattern: keep patterns over its matches
        for (int s = 0; s < freeze.size(); s++) cancelledBy.add(new LinkedHashSet<>());
        boolean[] matched = new boolean[freeze.size()];
        for (NamedParam p : table.params()) {
            boolean frozen = false;
            for (int s = 0; s < freeze.size(); s++) {
                matched[s] = freeze.get(s).matches(p, table);
                if (matched[s]) {
                    freezeUsed[s] = true;
                    frozen = true;
                }
            }
            List<Integer> keptBy = new ArrayList<>();
            for (int s = 0; s < keepTrainable.size(); s++) {
                if (keepTrainable.get(s).matches(p, table)) {
                    keepUsed[s] = true;
                    keptBy.add(s);
                    frozen = false;
                }
            }
            for (int s = 0; s < freeze.size(); s++) {
                if (!matched[s]) continue;
                if (keptBy.isEmpty()) freezeEffective[s] = true;
                else cancelledBy.get(s).addAll(keptBy);
            }
            labels.add(frozen ? Label.FROZEN : Label.TRAINABLE);
        }
        requireUsed(freeze, freezeUsed, "freeze", table);
        requireUsed(keepTrainable, keepUsed, "keep-trainable", table);
        requireNotCancelled(freezeEffective, cancelledBy);
        if (!labels.isEmpty() && !labels.contains(Label.TRAINABLE)) {
            throw new FreezePlanException("the plan " + describe() + " freezes every parameter of the network ("
                    + table.size() + " parameters), so training would change nothing. Keep some trainable: narrow the "
                    + "freeze patterns or add a keep-trainable pattern such as '" + lastLayerGlob(table) + "'.");
        }
        return new ParamLabels(table, labels);
    }

    /**
     * One sentence per duplicate pattern: the same text twice among the freeze patterns or twice among the
     * keep-trainable ones (the second has no effect), or the same text in both lists (keep-trainable wins, so that
     * freeze pattern freezes nothing). Duplicates do not stop a plan from resolving; the caller prints these.
     */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        repeated(freeze, "freeze", out);
        repeated(keepTrainable, "keep-trainable", out);
        Set<String> kept = new LinkedHashSet<>();
        for (ParamSelector k : keepTrainable) kept.add(k.text());
        Set<String> reported = new LinkedHashSet<>();
        for (ParamSelector f : freeze) {
            if (kept.contains(f.text()) && reported.add(f.text())) {
                out.add("pattern '" + f.text() + "' is given both to freeze and to keep-trainable; keep-trainable wins, so it freezes "
                        + "nothing: remove it from one of the two lists");
            }
        }
        return List.copyOf(out);
    }

    private static void repeated(List<ParamSelector> selectors, String role, List<String> out) {
        Set<String> seen = new LinkedHashSet<>();
        Set<String> reported = new LinkedHashSet<>();
        for (ParamSelector s : selectors) {
            if (!seen.add(s.text()) && reported.add(s.text())) {
                out.add(role + " pattern '" + s.text() + "' is given twice; the second has no effect");
            }
        }
    }

    /**
     * A freeze pattern whose every match is taken back by keep-trainable patterns freezes nothing: almost always a
     * keep-trainable pattern written too wide. The same text in both lists is left to {@link #warnings()}.
     */
    private void requireNotCancelled(boolean[] effective, List<Set<Integer>> cancelledBy) {
        Set<String> kept = new LinkedHashSet<>();
        for (ParamSelector k : keepTrainable) kept.add(k.text());
        for (int s = 0; s < freeze.size(); s++) {
            if (effective[s] || cancelledBy.get(s).isEmpty() || kept.contains(freeze.get(s).text())) continue;
            String f = freeze.get(s).text();
            List<String> keeps = cancelledBy.get(s).stream().map(k -> "'" + keepTrainable.get(k).text() + "'").distinct().toList();
            String keepWords = keeps.size() == 1 ? "keep-trainable pattern " + keeps.get(0)
                    : "keep-trainable patterns " + String.join(" and ", keeps);
            throw new FreezePlanException("freeze pattern '" + f + "' is cancelled by " + keepWords + ": every parameter '" + f
                    + "' matches is kept trainable, so it freezes nothing. Remove the freeze pattern '" + f + "', or narrow the "
                    + keepWords + " to take back only part of what it freezes.");
        }
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

    /** A glob over the last layer that has parameters (not a pooling, activation or loss layer above it). */
    private static String lastLayerGlob(ParamTable table) {
        int last = table.params().stream().mapToInt(dev.permafrost.model.NamedParam::layerIndex).max().orElse(-1);
        return last < 0 ? "*" : table.layerNames().get(last) + ".*";
    }
}
