package dev.permafrost.freeze;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Orders the available names by how close they are to what the user typed, for error messages. */
public final class ClosestNames {
    private ClosestNames() {
    }

    public static List<String> rank(String typed, List<String> names) {
        String probe = literalPart(typed);
        List<String> ranked = new ArrayList<>(names);
        ranked.sort(Comparator.comparingInt((String n) -> distance(probe, n.toLowerCase(Locale.ROOT)))
                .thenComparing(Comparator.naturalOrder()));
        return ranked;
    }

    /** The pattern without its prefix and wildcard syntax: what the user meant to spell. */
    static String literalPart(String typed) {
        String t = typed;
        if (t.startsWith("re:")) t = t.substring(3);
        return t.replaceAll("[\\^$*?+()\\[\\]{}|\\\\]", "").toLowerCase(Locale.ROOT);
    }

    /**
     * Edit distance where the probe may match anywhere in the name (a prefix like "pretrain" is close to
     * "pretrained.bn.mean"): Levenshtein with free skipping of the name's leading and trailing characters.
     */
    static int distance(String probe, String name) {
        int[] prev = new int[name.length() + 1];
        int[] cur = new int[name.length() + 1];
        // prev[j] = 0: the match may start at any position of the name
        for (int i = 1; i <= probe.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= name.length(); j++) {
                int sub = prev[j - 1] + (probe.charAt(i - 1) == name.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        int best = Integer.MAX_VALUE;
        for (int v : prev) best = Math.min(best, v);
        return best;
    }
}
