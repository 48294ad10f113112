package dev.permafrost.shard;

/**
 * A check of the run's integrity failed (a frozen copy changed, a gradient was not finite, a worker left out its
 * fingerprints): the job stops and exits 1, where bad input exits 2.
 */
public class CheckFailedException extends IllegalStateException {
    public CheckFailedException(String message) {
        super(message);
    }
}
