package dev.permafrost.model;

import java.util.List;

/**
 * One parameter of a network: its stable name {@code <layer name>.<param key>}, where it lives in the
 * network's flat parameter view, and what kind of value it is.
 */
public record NamedParam(
        String name,
        String layerName,
        int layerIndex,
        String key,
        List<Long> shape,
        long offset,
        long length,
        ParamKind kind) {

    public NamedParam {
        if (name.isBlank()) throw new IllegalArgumentException("parameter name must not be blank");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("parameter " + name + ": negative offset " + offset + " or length " + length);
        }
        shape = List.copyOf(shape);
    }

    public long end() {
        return offset + length;
    }

    public String shapeText() {
        return shapeText(shape);
    }

    /** A shape as {@code 20x1x5x5}. */
    public static String shapeText(List<Long> shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.size(); i++) {
            if (i > 0) sb.append('x');
            sb.append(shape.get(i));
        }
        return sb.toString();
    }
}
