package dev.permafrost.train;

import java.io.Serializable;

/**
 * What every worker task of one epoch needs besides its data and the phase's model: where the server is, the
 * secret, and the numbers that fix the data split. Plain values, shipped to each task.
 */
public record EpochTask(int epoch, int attempt, int phase, long epochStartVersion, int workers, int batchPerWorker, long seed, int rows,
                        String host, int port, String secret, dev.permafrost.ps.rpc.Tls tls, int auditEvery, long timeoutSeconds)
        implements Serializable {

    /** A client for this task's parameter service: TLS when the job runs with TLS. */
    public dev.permafrost.ps.rpc.ParameterClient client() {
        return new dev.permafrost.ps.rpc.ParameterClient(host, port, secret, timeoutSeconds, tls);
    }

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
