package dev.permafrost.ps;

import java.util.Map;

/**
 * A worker's push as the step gate sees it, whatever carried it: who sent it (worker, executor, the task attempt of
 * its submission), for which version and freeze phase, the frozen fingerprints it reports, and its gradients.
 */
public record GatePush(int worker, int submission, int taskAttempt, long version, int phase, String executor, Map<Integer, Long> fingerprints,
                       WorkerPush push) {
}
