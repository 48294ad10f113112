package dev.permafrost.train;

import dev.permafrost.ps.rpc.ParameterClient;
import dev.permafrost.ps.rpc.TlsTrust;

import java.io.Serializable;
import java.time.Duration;

/**
 * What every worker task of one epoch needs besides its data and the phase's model: where the parameter service is,
 * the secret, and the numbers that fix the data split. Plain values, shipped to each task.
 *
 * @param tls         the trust store a client checks the service with: executors never get the key store
 * @param auditEvery  pushes on steps divisible by this carry every frozen fingerprint (1: every step)
 * @param submission  the driver's count of epoch submissions so far; the service refuses calls from older ones
 * @param callTimeout how long one pull or push may wait for the service
 */
public record EpochSpec(int epoch, int submission, int phase, long epochStartVersion, int workers, int batchPerWorker, long seed,
                        int rows, String host, int port, String secret, TlsTrust tls, int auditEvery, Duration callTimeout)
        implements Serializable {

    /**
     * A push waits until every worker has pushed, so it must outlast the slowest worker's step, a worker's network
     * being rebuilt at a phase change included; ten minutes leaves room for large models on slow executors.
     */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMinutes(10);

    /** A client for this epoch's parameter service: TLS when the job runs with TLS. */
    public ParameterClient client() {
        return new ParameterClient(host, port, secret, callTimeout, tls);
    }

    public EpochPlan plan() {
        return EpochPlan.of(rows, workers, batchPerWorker, seed, epoch);
    }

    @Override
    public String toString() {
        // Never print the secret.
        return "EpochSpec[epoch=" + epoch + ", submission=" + submission + ", phase=" + phase + ", start=" + epochStartVersion
                + ", workers=" + workers + ", server=" + host + ":" + port + "]";
    }
}
