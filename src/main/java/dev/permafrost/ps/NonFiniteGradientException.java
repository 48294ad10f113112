package dev.permafrost.ps;

/** A worker pushed NaN or Inf: the step is refused before any value changes. */
public class NonFiniteGradientException extends IllegalStateException {
    public NonFiniteGradientException(String message) {
        super(message);
    }
}
