package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.network.Network;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs each worker on its own thread and network in this JVM, talking to the parameter service over loopback like a
 * remote executor would: the distributed path without a cluster.
 */
public final class ThreadEpochRunner implements EpochRunner {
    private final LabeledData data;
    private final int workers;
    private final ExecutorService pool;
    private WorkerModel model;
    private Network[] networks;

    public ThreadEpochRunner(LabeledData data, int workers) {
        this.data = data;
        this.workers = workers;
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "permafrost-worker");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void publish(WorkerModel next) {
        // Round-trip through the wire format, as a broadcast would.
        this.model = WorkerModel.decode(next.encode());
        this.networks = new Network[workers];
    }

    @Override
    public List<RemoteWorker.Report> run(EpochSpec spec) {
        EpochPlan plan = spec.plan();
        List<Future<RemoteWorker.Report>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            futures.add(pool.submit(() -> {
                WorkerDevice device = WorkerDevice.bindInThisJvm(List.of());
                if (networks[worker] == null) networks[worker] = model.build();
                try (var client = spec.client()) {
                    return RemoteWorker.runEpoch(WorkerNetwork.whole(networks[worker], model.layout()), spec, WorkerBatches.of(data, plan, worker),
                            worker, 0, client, "thread-" + worker, device);
                }
            }));
        }
        List<RemoteWorker.Report> reports = new ArrayList<>();
        for (Future<RemoteWorker.Report> f : futures) {
            try {
                reports.add(f.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException("worker failed: " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        return reports;
    }

    /** A test hook: the network a worker uses, to alter it as a faulty executor would. */
    public Network network(int worker) {
        if (networks[worker] == null) networks[worker] = model.build();
        return networks[worker];
    }

    @Override
    public int slots() {
        return workers;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
