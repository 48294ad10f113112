package dev.permafrost.testing;

/** Raw IEEE-754 bits of float arrays: how tests compare values that must be bit-identical, never with a tolerance. */
public final class RawBits {
    private RawBits() {
    }

    public static int[] of(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return bits;
    }

    /** Every parameter's raw bits by name, read through DL4J's own views of the model (never through offsets). */
    public static java.util.Map<String, int[]> byName(org.deeplearning4j.nn.api.Model model) {
        java.util.Map<String, int[]> out = new java.util.LinkedHashMap<>();
        for (var e : dev.permafrost.model.ParamViews.of(model).entrySet()) out.put(e.getKey(), of(dev.permafrost.model.ParamViews.floats(e.getValue())));
        return out;
    }
}
