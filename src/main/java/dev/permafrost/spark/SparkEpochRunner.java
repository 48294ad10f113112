package dev.permafrost.spark;

import dev.permafrost.train.EpochPlan;
import dev.permafrost.train.EpochRunner;
import dev.permafrost.train.EpochSpec;
import dev.permafrost.train.RemoteWorker;
import dev.permafrost.train.WorkerModel;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;

/**
 * Runs an epoch as one Spark barrier stage: the rows are keyed by the worker that takes them this epoch (a
 * deterministic function of seed and epoch, so a retry sees the same split), partitioned one partition per worker,
 * and W gang-scheduled tasks run the workers. The phase's model is broadcast once and released when replaced.
 */
public final class SparkEpochRunner implements EpochRunner {
    private final JavaSparkContext sc;
    private final JavaRDD<Example> rows;
    private final int width;
    private final int classes;
    private final String job = UUID.randomUUID().toString();
    private Broadcast<byte[]> model;

    public SparkEpochRunner(JavaSparkContext sc, JavaRDD<Example> rows, int width, int classes) {
        this.sc = sc;
        this.rows = rows;
        this.width = width;
        this.classes = classes;
    }

    @Override
    public void publish(WorkerModel next) {
        if (model != null) model.destroy();
        model = sc.broadcast(next.encode());
    }

    @Override
    public List<RemoteWorker.Report> run(EpochSpec spec) {
        int workers = spec.workers();
        JavaPairRDD<Integer, Example> keyed = rows.mapPartitionsToPair(it -> route(it, spec));
        JavaPairRDD<Integer, Example> byWorker = keyed.partitionBy(new WorkerPartitioner(workers));
        ClassTag<RemoteWorker.Report> tag = ClassTag$.MODULE$.apply(RemoteWorker.Report.class);
        sc.setJobDescription("Permafrost epoch " + spec.epoch() + " (" + workers + " workers)");
        Object collected = byWorker.rdd().barrier().mapPartitions(new WorkerTask(spec, model, job, width, classes), false, tag).collect();
        return new ArrayList<>(Arrays.asList((RemoteWorker.Report[]) collected));
    }

    private static Iterator<Tuple2<Integer, Example>> route(Iterator<Example> it, EpochSpec spec) {
        EpochPlan plan = spec.plan();
        int[] workerOf = plan.workerOfRows();
        List<Tuple2<Integer, Example>> out = new ArrayList<>();
        while (it.hasNext()) {
            Example e = it.next();
            int w = workerOf[e.index()];
            if (w >= 0) out.add(new Tuple2<>(w, e));
        }
        return out.iterator();
    }

    /**
     * Free task slots as Spark's own barrier check counts them ({@code maxNumConcurrentTasks}, Scala-private but
     * public in bytecode); in local mode, the N of local[N].
     */
    @Override
    public int slots() {
        if (sc.master().startsWith("local")) return sc.defaultParallelism();
        var rp = sc.sc().resourceProfileManager().defaultResourceProfile();
        return sc.sc().maxNumConcurrentTasks(rp);
    }

    @Override
    public boolean awaitSlots(int wanted, long seconds) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (slots() < wanted) {
            if (System.nanoTime() > deadline) return false;
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        if (model != null) model.destroy();
        ExecutorNetworks.forget(job);
    }
}
