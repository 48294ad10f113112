package dev.permafrost.spark;

import dev.permafrost.network.Network;
import dev.permafrost.train.WorkerModel;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The networks an executor JVM has built, one per worker slot, kept across tasks and epochs and rebuilt only when a
 * new broadcast (a new freeze phase) arrives. DL4J networks are not thread-safe, so concurrent tasks in one JVM
 * (local mode, or several cores per executor) each get their own.
 */
final class ExecutorNetworks {
    private record Entry(long broadcastId, Network network) {
    }

    private static final ConcurrentHashMap<String, Entry> BY_WORKER = new ConcurrentHashMap<>();

    private ExecutorNetworks() {
    }

    static Network get(String job, int worker, long broadcastId, WorkerModel model) {
        return get(job, worker + "", broadcastId, model::build);
    }

    /** The network kept under {@code job/part} for this broadcast, built by {@code build} when there is none yet. */
    static Network get(String job, String part, long broadcastId, java.util.function.Supplier<Network> build) {
        String key = job + "/" + part;
        Entry e = BY_WORKER.get(key);
        if (e == null || e.broadcastId() != broadcastId) {
            e = new Entry(broadcastId, build.get());
            BY_WORKER.put(key, e);
        }
        return e.network();
    }

    static void forget(String job) {
        BY_WORKER.keySet().removeIf(k -> k.startsWith(job + "/"));
    }
}
