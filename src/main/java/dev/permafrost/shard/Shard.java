package dev.permafrost.shard;

import dev.permafrost.freeze.Label;

import java.util.List;

/**
 * A contiguous range of the flat parameter vector that moves, is updated and is fingerprinted as one piece.
 * All its elements share one label and one update rule.
 *
 * @param statistic true for running statistics (DL4J's own update rule), false for optimizer-updated values
 */
public record Shard(int index, long offset, int length, List<String> paramNames, boolean statistic, Label label) {

    public Shard {
        if (length <= 0) throw new IllegalArgumentException("shard " + index + " has length " + length);
        paramNames = List.copyOf(paramNames);
    }

    public boolean frozen() {
        return label == Label.FROZEN;
    }

    public int start() {
        return Math.toIntExact(offset);
    }

    public int end() {
        return Math.toIntExact(offset + length);
    }

    Shard withLabel(Label newLabel) {
        return newLabel == label ? this : new Shard(index, offset, length, paramNames, statistic, newLabel);
    }

    public String describe() {
        String names = paramNames.size() <= 3 ? String.join(",", paramNames)
                : paramNames.get(0) + ",…," + paramNames.get(paramNames.size() - 1);
        return "shard " + index + " [" + names + "] @" + offset + "+" + length;
    }
}
