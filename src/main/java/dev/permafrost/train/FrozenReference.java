package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * For every parameter frozen now, the values it was frozen with: those of the model the run started from for a
 * parameter frozen from the first phase, else those at the start of the phase that froze it. What a written model
 * must still hold, bit for bit.
 */
public final class FrozenReference {

    /** One frozen parameter of a written model compared with its reference, {@code source} saying where that came from. */
    public record ParamCheck(String name, int frozenSincePhase, String source, long elements, long differingElements) {
        public boolean identical() {
            return differingElements == 0;
        }
    }

    private record Frozen(int sincePhase, String source, float[] values) {
    }

    /** Where the values of the parameters frozen from the first epoch come from. */
    public static final String START = "the model the run started from";

    private final Map<String, Frozen> frozen = new LinkedHashMap<>();

    /**
     * Records the parameters frozen under {@code labels} that are not recorded yet and that {@code which} accepts, with
     * their values in {@code flat}, frozen since {@code phase}, from {@code source}.
     */
    public void record(ParamLabels labels, float[] flat, int phase, String source, Predicate<String> which) {
        for (int i = 0; i < labels.table().size(); i++) {
            NamedParam p = labels.table().get(i);
            if (labels.isFrozen(i) && !frozen.containsKey(p.name()) && which.test(p.name())) {
                float[] values = Arrays.copyOfRange(flat, Math.toIntExact(p.offset()), Math.toIntExact(p.end()));
                frozen.put(p.name(), new Frozen(phase, source, values));
            }
        }
    }

    /** A freeze transition: released parameters leave, newly frozen ones are recorded with their values now. */
    public void enter(ParamLabels labels, float[] flat, int phase) {
        frozen.keySet().removeIf(name -> !labels.isFrozen(labels.table().indexOf(name)));
        record(labels, flat, phase, "its values at the start of freeze phase " + phase, name -> true);
    }

    /** Names of the parameters frozen now. */
    public List<String> names() {
        return List.copyOf(frozen.keySet());
    }

    /**
     * Compares, bit for bit, every frozen parameter with the same-named one of a model's flat values; a parameter the
     * model lacks or holds in another shape counts every element as differing.
     */
    public List<ParamCheck> check(ParamTable table, float[] flat) {
        List<ParamCheck> out = new ArrayList<>();
        for (var e : frozen.entrySet()) {
            float[] expected = e.getValue().values();
            int i = table.indexOf(e.getKey());
            long differing = expected.length;
            if (i >= 0 && table.get(i).length() == expected.length) {
                differing = 0;
                int off = Math.toIntExact(table.get(i).offset());
                for (int k = 0; k < expected.length; k++) {
                    if (Float.floatToRawIntBits(expected[k]) != Float.floatToRawIntBits(flat[off + k])) differing++;
                }
            }
            out.add(new ParamCheck(e.getKey(), e.getValue().sincePhase(), e.getValue().source(), expected.length, differing));
        }
        return out;
    }
}
