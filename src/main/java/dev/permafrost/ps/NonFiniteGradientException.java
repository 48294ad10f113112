package dev.permafrost.ps;

import dev.permafrost.shard.CheckFailedException;

/** A worker pushed NaN or Inf: the step is refused before any value changes. */
public class NonFiniteGradientException extends CheckFailedException {
    public NonFiniteGradientException(String message) {
        super(message);
    }
}
