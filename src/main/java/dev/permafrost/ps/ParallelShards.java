package dev.permafrost.ps;

import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Runs a step's per-shard and per-range work across the driver's cores. Each element is still computed by one thread
 * with the same arithmetic in the same order, so the bits do not depend on how the work is split. Small vectors run
 * on the calling thread: handing them out would cost more than it saves.
 */
final class ParallelShards {
    /** Below this many elements a step's work stays on one thread. */
    static final int PARALLEL_FROM = 1 << 16;
    /** Element ranges a sum is split into, at least this long each. */
    private static final int CHUNK = 1 << 14;

    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("permafrost-step-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            }, null, false);

    private ParallelShards() {
    }

    interface RangeTask {
        void run(int from, int to);
    }

    /** Runs {@code task} over {@code [0, elements)} in ranges, in parallel when large. */
    static void ranges(int elements, RangeTask task) {
        if (elements < PARALLEL_FROM) {
            task.run(0, elements);
            return;
        }
        int chunks = (elements + CHUNK - 1) / CHUNK;
        POOL.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> task.run(c * CHUNK, Math.min(elements, (c + 1) * CHUNK))))
                .join();
    }

    /** Runs {@code task} on every item, in parallel when the items hold {@code elements} >= the threshold in all. */
    static <T> void each(List<T> items, long elements, Consumer<T> task) {
        if (elements < PARALLEL_FROM || items.size() < 2) {
            items.forEach(task);
            return;
        }
        POOL.submit(() -> items.parallelStream().forEach(task)).join();
    }
}
