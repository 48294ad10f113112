package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.FrozenPrefix;
import dev.permafrost.network.Network;
import dev.permafrost.train.EpochSpec;
import dev.permafrost.train.RemoteWorker;
import dev.permafrost.train.WorkerBatches;
import dev.permafrost.train.WorkerDevice;
import dev.permafrost.train.WorkerModel;
import dev.permafrost.train.WorkerNetwork;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The body of one barrier task: worker {@code partitionId} runs its part of the epoch against the parameter service. */
final class WorkerTask extends AbstractFunction1<Iterator<Tuple2<Integer, Example>>, Iterator<RemoteWorker.Report>>
        implements Serializable {
    private final EpochSpec spec;
    private final Broadcast<byte[]> model;
    private final String job;
    private final int width;
    private final int classes;
    /** Set when the rows are the frozen prefix's outputs (the worker then trains the suffix); null otherwise, as Optional does not serialize. */
    private final FrozenPrefix prefix;

    WorkerTask(EpochSpec spec, Broadcast<byte[]> model, String job, int width, int classes, Optional<FrozenPrefix> prefix) {
        this.spec = spec;
        this.model = model;
        this.job = job;
        this.width = width;
        this.classes = classes;
        this.prefix = prefix.orElse(null);
    }

    @Override
    public Iterator<RemoteWorker.Report> apply(Iterator<Tuple2<Integer, Example>> rows) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int worker = ctx.partitionId();
        // Before any network is built or run on this thread: ND4J allocates on the thread's device.
        WorkerDevice device = WorkerDevice.bindInThisJvm(gpuAddresses(ctx));
        LocalRows local = LocalRows.of(JavaConverters.asJavaIterator(rows), spec.rows(), width, classes);
        WorkerModel wm = WorkerModel.decode(model.value());
        Network whole = ExecutorNetworks.get(job, worker, model.id(), wm);
        WorkerNetwork network = prefix == null ? WorkerNetwork.whole(whole, wm.layout())
                : WorkerNetwork.suffix(whole, ExecutorNetworks.get(job, worker + "/suffix", model.id(),
                () -> prefix.suffix(whole, new ParamLabels(whole.params(), wm.labels()), wm.params())), prefix.paramOffset(), wm.layout());
        WorkerBatches batches = WorkerBatches.of(local.data(), spec.plan(), worker, local::localIndex);
        String executor = executorName();
        try (var client = spec.client()) {
            RemoteWorker.Report report = RemoteWorker.runEpoch(network, spec, batches, worker, ctx.stageAttemptNumber(), client,
                    executor, device);
            return JavaConverters.asScalaIterator(List.of(report).iterator());
        }
    }

    /** The GPU addresses Spark's resource scheduling assigned this task; empty when it assigned none. */
    static List<String> gpuAddresses(org.apache.spark.TaskContext ctx) {
        var gpu = ctx.resources().get("gpu");
        return gpu.isEmpty() ? List.of() : List.of(gpu.get().addresses());
    }

    static String executorName() {
        String id = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        return "executor " + id + " on " + host;
    }

    /** A partition's rows in memory, findable by their global index. */
    record LocalRows(LabeledData data, int[] localOf) {
        static LocalRows of(java.util.Iterator<Tuple2<Integer, Example>> rows, int totalRows, int width, int classes) {
            List<Example> list = new ArrayList<>();
            while (rows.hasNext()) list.add(rows.next()._2());
            float[] x = new float[list.size() * width];
            int[] y = new int[list.size()];
            int[] localOf = new int[totalRows];
            Arrays.fill(localOf, -1);
            for (int i = 0; i < list.size(); i++) {
                Example e = list.get(i);
                System.arraycopy(e.features(), 0, x, i * width, width);
                y[i] = e.label();
                localOf[e.index()] = i;
            }
            return new LocalRows(new LabeledData(x, y, width, classes), localOf);
        }

        int localIndex(int global) {
            int i = localOf[global];
            if (i < 0) throw new IllegalStateException("row " + global + " did not reach this worker's partition");
            return i;
        }
    }
}
