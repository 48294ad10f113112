package dev.permafrost.freeze;

/** A freeze plan or schedule that cannot be applied; the message names the pattern and the fix. */
public class FreezePlanException extends IllegalArgumentException {
    public FreezePlanException(String message) {
        super(message);
    }
}
