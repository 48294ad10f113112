package dev.permafrost.train;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.model.ParamViews;
import dev.permafrost.network.Network;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * For every parameter frozen now, the values it was frozen with: those of the model the run started from for a
 * parameter frozen from the first phase, else those at the start of the phase that froze it. What a written model
 * must still hold, bit for bit.
 * <p>
 * The values are read by name through DL4J's own {@code paramTable()} views of a network ({@link ParamViews}), never
 * through Permafrost's offsets, so a wrong flat-vector map cannot make a moved parameter look unchanged: the check of
 * the server's flat vector reads it through the map and then disagrees with the reference, and the check of a written
 * model reads both sides by name.
 */
public final class FrozenReference {

    /** One frozen parameter of a written model compared with its reference, {@code source} saying where that came from. */
    public record ParamCheck(String name, int frozenSincePhase, String source, long elements, long differingElements) {
        public boolean identical() {
            return differingElements == 0;
        }
    }

    /** The values in DL4J's storage order of the view ({@code order}), which is the order of its flat range. */
    private record Frozen(int sincePhase, String source, char order, List<Long> shape, float[] values) {
    }

    /** Where the values of the parameters frozen from the first epoch come from. */
    public static final String START = "the model the run started from";

    private final Map<String, Frozen> frozen = new LinkedHashMap<>();

    /**
     * Records the parameters frozen under {@code labels} that are not recorded yet and that {@code which} accepts, with
     * their values in {@code network} (read by name through DL4J; built only when something is recorded), frozen since
     * {@code phase}, from {@code source}.
     */
    public void record(ParamLabels labels, Supplier<Network> network, int phase, String source, Predicate<String> which) {
        Map<String, INDArray> views = null;
        for (int i = 0; i < labels.table().size(); i++) {
            NamedParam p = labels.table().get(i);
            if (labels.isFrozen(i) && !frozen.containsKey(p.name()) && which.test(p.name())) {
                if (views == null) views = ParamViews.of(network.get().model());
                INDArray view = views.get(p.name());
                if (view == null) throw new IllegalStateException("DL4J's model has no parameter " + p.name() + " to record as frozen");
                frozen.put(p.name(), new Frozen(phase, source, view.ordering(), p.shape(), ParamViews.floats(view, view.ordering())));
            }
        }
    }

    /**
     * A freeze transition: released parameters leave, newly frozen ones are recorded with their values in
     * {@code network}, the network holding the values at the transition.
     */
    public void enter(ParamLabels labels, Supplier<Network> network, int phase) {
        frozen.keySet().removeIf(name -> !labels.isFrozen(labels.table().indexOf(name)));
        record(labels, network, phase, "its values at the start of freeze phase " + phase, name -> true);
    }

    /** Names of the parameters frozen now. */
    public List<String> names() {
        return List.copyOf(frozen.keySet());
    }

    /**
     * Compares, bit for bit, every frozen parameter with the same-named range of a flat vector laid out by
     * {@code table} (the parameter server's state); a parameter the table lacks or holds in another shape counts every
     * element as differing.
     */
    /**
     * Throws, naming every differing parameter and how many of its elements differ, unless all of {@code checks} found
     * identical bits; {@code what} says whose frozen parameters were compared.
     */
    public static void requireIdentical(List<ParamCheck> checks, String what) {
        List<String> differing = checks.stream().filter(c -> !c.identical())
                .map(c -> c.name() + " (" + c.differingElements() + " of " + c.elements() + " elements)").toList();
        if (!differing.isEmpty()) {
            throw new dev.permafrost.shard.FrozenCopyMismatchException(what + " differ from the values they were frozen with: "
                    + String.join(", ", differing));
        }
    }

    public List<ParamCheck> check(ParamTable table, float[] flat) {
        List<ParamCheck> out = new ArrayList<>();
        for (var e : frozen.entrySet()) {
            Frozen f = e.getValue();
            int i = table.indexOf(e.getKey());
            long differing = f.values().length;
            if (i >= 0 && table.get(i).shape().equals(f.shape())) {
                differing = differing(f.values(), flat, Math.toIntExact(table.get(i).offset()));
            }
            out.add(new ParamCheck(e.getKey(), f.sincePhase(), f.source(), f.values().length, differing));
        }
        return out;
    }

    /**
     * Compares, bit for bit, every frozen parameter with the same-named parameter of a model, both read by name through
     * DL4J's own views: the check of a written model.zip, independent of the flat-vector map.
     */
    public List<ParamCheck> check(Network model) {
        Map<String, INDArray> views = ParamViews.of(model.model());
        List<ParamCheck> out = new ArrayList<>();
        for (var e : frozen.entrySet()) {
            Frozen f = e.getValue();
            INDArray view = views.get(e.getKey());
            long differing = f.values().length;
            if (view != null && java.util.Arrays.equals(view.shape(), f.shape().stream().mapToLong(Long::longValue).toArray())) {
                differing = differing(f.values(), ParamViews.floats(view, f.order()), 0);
            }
            out.add(new ParamCheck(e.getKey(), f.sincePhase(), f.source(), f.values().length, differing));
        }
        return out;
    }

    private static long differing(float[] expected, float[] actual, int from) {
        return dev.permafrost.shard.RawBits.differing(expected, 0, actual, from, expected.length);
    }
}
