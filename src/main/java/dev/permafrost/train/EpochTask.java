package dev.permafrost.train;

import java.io.Serializable;

/**
 * What every worker task of one epoch needs besides its data and the phase's model: where the server is, the
 * secret, and the numbers that fix the data split. Plain values, shipped to each task.
 */
public record EpochTask(int epoch, int attempt, int phase, long epochStartVersion, int workers, int batchPerWorker, long seed, int rows,
                        String host, int port, String secret, int auditEvery, long timeoutSeconds) implements Serializable {

    public EpochPlan plan() {
        return EpochPlan.of(rows, workers, batchPerWorker, seed, epoch);
    }

    @Override
    public String toString() {
        // Never print the secret.
        return "EpochTask[epoch=" + epoch + ", attempt=" + attempt + ", phase=" + phase + ", start=" + epochStartVersion + ", workers=" + workers
                + ", server=" + host + ":" + port + "]";
    }
}
