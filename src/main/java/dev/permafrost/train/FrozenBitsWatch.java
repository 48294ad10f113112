package dev.permafrost.train;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.network.Network;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.shard.FrozenCopyMismatchException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The after-every-step check users write by hand, done on raw bits: when parameters become frozen it records
 * their exact bits from the worker's network, and after every later step it compares every element. A
 * parameter that is released (unfrozen) is dropped from the watch.
 */
public final class FrozenBitsWatch implements TrainingListener {
    private final Map<String, float[]> watched = new LinkedHashMap<>();
    private final Map<String, Integer> frozenSince = new LinkedHashMap<>();
    private ParamLabels labels;
    private long comparisons;

    @Override
    public void onEpochStart(int epoch, ParamLabels labels, ParameterServer.Transition transition, Network network) {
        this.labels = labels;
        watched.keySet().removeIf(name -> labels.label(name) != Label.FROZEN);
        frozenSince.keySet().retainAll(watched.keySet());
        float[] flat = network.paramsCopy();
        for (int i = 0; i < labels.table().size(); i++) {
            NamedParam p = labels.table().get(i);
            if (labels.isFrozen(i) && !watched.containsKey(p.name())) {
                // Recorded before the phase's first step: from here on, not one bit may change.
                watched.put(p.name(), java.util.Arrays.copyOfRange(flat, (int) p.offset(), (int) p.end()));
                frozenSince.put(p.name(), epoch);
            }
        }
        compare(flat, "the start of epoch " + epoch);
    }

    @Override
    public void onStep(StepEvent event, Optional<Network> localNetwork) {
        Network network = localNetwork.orElseThrow(() -> new IllegalStateException(
                "the frozen-bits watch reads the worker's network after every step; use it with the single-process trainer"));
        compare(network.paramsCopy(), "step " + event.version() + " (epoch " + event.epoch() + ")");
    }

    private void compare(float[] flat, String when) {
        for (var e : watched.entrySet()) {
            NamedParam p = labels.table().byName(e.getKey());
            float[] expected = e.getValue();
            int off = (int) p.offset();
            int i = dev.permafrost.shard.RawBits.firstDifference(expected, 0, flat, off, expected.length);
            if (i >= 0) {
                throw new FrozenCopyMismatchException("frozen parameter " + p.name() + " element " + i + " changed at " + when
                        + ": bits 0x" + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + " became 0x"
                        + Integer.toHexString(Float.floatToRawIntBits(flat[off + i])));
            }
            comparisons += expected.length;
        }
    }

    /** Element comparisons made so far, all equal (a mismatch throws). */
    public long comparisons() {
        return comparisons;
    }

    /** Watched parameter names and the epoch each was frozen from. */
    public Map<String, Integer> watched() {
        return Map.copyOf(frozenSince);
    }
}
