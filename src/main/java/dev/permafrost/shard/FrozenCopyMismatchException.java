package dev.permafrost.shard;

/** A copy of a frozen shard or parameter no longer matches the canonical one: the run stops at once. */
public class FrozenCopyMismatchException extends CheckFailedException {
    public FrozenCopyMismatchException(String message) {
        super(message);
    }
}
