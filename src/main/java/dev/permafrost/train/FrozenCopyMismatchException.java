package dev.permafrost.train;

/** A worker's copy of a frozen shard no longer matches the canonical fingerprint: the run stops at once. */
public class FrozenCopyMismatchException extends IllegalStateException {
    public FrozenCopyMismatchException(String message) {
        super(message);
    }
}
