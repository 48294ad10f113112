package dev.permafrost.shard;

import dev.permafrost.freeze.Label;

import java.util.List;

/**
 * A contiguous range of the flat parameter vector that moves, is updated and is fingerprinted as one piece.
 * All its elements share one update rule.
 *
 * @param statistic true when the shard holds running statistics: it decides the rule whenever the shard is trainable
 * @param rule      what every step does to the shard
 */
public record Shard(int index, long offset, int length, List<String> paramNames, boolean statistic, UpdateRule rule) {

    public Shard {
        if (length <= 0) throw new IllegalArgumentException("shard " + index + " has length " + length);
        paramNames = List.copyOf(paramNames);
        if (rule != UpdateRule.FROZEN && rule != UpdateRule.of(statistic, Label.TRAINABLE)) {
            throw new IllegalArgumentException("shard " + index + (statistic ? " holds running statistics" : " holds parameters")
                    + " and cannot take the rule " + rule);
        }
    }

    public Label label() {
        return rule.label();
    }

    public boolean frozen() {
        return rule == UpdateRule.FROZEN;
    }

    public int start() {
        return Math.toIntExact(offset);
    }

    public int end() {
        return Math.toIntExact(offset + length);
    }

    Shard withLabel(Label newLabel) {
        UpdateRule next = UpdateRule.of(statistic, newLabel);
        return next == rule ? this : new Shard(index, offset, length, paramNames, statistic, next);
    }

    public String describe() {
        String names = paramNames.size() <= 3 ? String.join(",", paramNames)
                : paramNames.get(0) + ",…," + paramNames.get(paramNames.size() - 1);
        return "shard " + index + " [" + names + "] @" + offset + "+" + length;
    }
}
