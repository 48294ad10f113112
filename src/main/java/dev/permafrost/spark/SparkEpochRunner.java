package dev.permafrost.spark;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.network.FrozenPrefix;
import dev.permafrost.network.Network;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.train.EpochPlan;
import dev.permafrost.train.EpochRunner;
import dev.permafrost.train.EpochSpec;
import dev.permafrost.train.RemoteWorker;
import dev.permafrost.train.WorkerModel;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

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
    private final boolean featurizeOnce;
    private final Consumer<String> log;
    private Broadcast<byte[]> model;
    /** The phase's rows as the frozen prefix's outputs, kept in Spark's storage; empty when the phase trains on the rows. */
    private Optional<Featurized> featurized = Optional.empty();
    /** The published phase whose prefix outputs are still to be computed, at the first epoch that knows the batch size. */
    private Optional<WorkerModel> toFeaturize = Optional.empty();

    private record Featurized(FrozenPrefix prefix, JavaRDD<Example> rows, int width) {
    }

    public SparkEpochRunner(JavaSparkContext sc, JavaRDD<Example> rows, int width, int classes) {
        this(sc, rows, width, classes, false, line -> { });
    }

    /**
     * With {@code featurizeOnce}, each freeze phase whose frozen layers form a valid prefix has the prefix's outputs
     * computed once on the executors and trains the rest on them; {@code log} hears what was decided and why.
     */
    public SparkEpochRunner(JavaSparkContext sc, JavaRDD<Example> rows, int width, int classes, boolean featurizeOnce,
                            Consumer<String> log) {
        this.sc = sc;
        this.rows = rows;
        this.width = width;
        this.classes = classes;
        this.featurizeOnce = featurizeOnce;
        this.log = log;
    }

    @Override
    public void publish(WorkerModel next) {
        if (model != null) model.destroy();
        featurized.ifPresent(f -> f.rows().unpersist(false));
        featurized = Optional.empty();
        model = sc.broadcast(next.encode());
        toFeaturize = featurizeOnce ? Optional.of(next) : Optional.empty();
    }

    /** Computes the phase's prefix outputs once, where the phase allows it; says why not otherwise. */
    private void featurize(WorkerModel next, int chunkRows) {
        Network network = next.build();
        FrozenPrefix.Decision decision = FrozenPrefix.decide(network, new ParamLabels(network.params(), next.labels()), next.layout(), chunkRows);
        if (decision.prefix().isEmpty()) {
            log.accept("featurize-once: not used in freeze phase " + next.phase() + ": " + decision.reason());
            return;
        }
        FrozenPrefix prefix = decision.prefix().get();
        Map<Integer, Long> canonical = Fingerprint.ofFrozen(FloatBuffer.wrap(next.params()), next.layout());
        long started = System.nanoTime();
        sc.setJobDescription("Permafrost: frozen prefix outputs for freeze phase " + next.phase());
        JavaRDD<Example> features = rows.mapPartitions(new PrefixFeatures(model, prefix, canonical, chunkRows))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        int featureWidth = prefix.outputWidth();
        long count;
        try {
            count = features.count();
        } catch (Exception e) { // SparkException is checked but undeclared by Scala's count()
            features.unpersist(false);
            String why = String.valueOf(e.getMessage());
            if (why.contains(FrozenCopyMismatchException.class.getSimpleName())) {
                // An executor's frozen copy differs from the canonical one: a failed check, not a reason to retry.
                throw new FrozenCopyMismatchException("computing the frozen prefix's outputs in freeze phase " + next.phase() + ": "
                        + why.lines().filter(l -> l.contains(FrozenCopyMismatchException.class.getSimpleName())).findFirst().orElse(why));
            }
            // The frozen part's outputs are not finite (or DL4J refused the model): training on the rows would fail the same way.
            var modelFailure = dev.permafrost.network.ModelFailure.in(e);
            if (modelFailure.isPresent()) throw modelFailure.get();
            log.accept("featurize-once: not used in freeze phase " + next.phase() + ": computing the prefix's outputs failed ("
                    + why.lines().findFirst().orElse(why) + "); training on the rows");
            return;
        }
        featurized = Optional.of(new Featurized(prefix, features, featureWidth));
        log.accept(String.format(Locale.ROOT, "featurize-once: freeze phase %d: %s; the frozen part's outputs computed once for %,d rows in %.1f s "
                        + "(%d features per row%s, kept serialized in memory and on disk)", next.phase(), prefix.describe(), count,
                (System.nanoTime() - started) / 1e9, featureWidth,
                prefix.imageShape().isEmpty() ? "" : ", an image of " + prefix.imageShape() + " (channels, height, width)"));
        if (!prefix.rowIndependent()) {
            log.accept("featurize-once: in freeze phase " + next.phase() + " a row's output from the frozen part differs in the last bits "
                    + "with its place in the batch (a trial on the driver; ND4J's CPU convolutions do this, and on some processors its "
                    + "matrix products too), so the trained weights match training on the rows to within float rounding, not bit for bit. Frozen weights are bit-identical either way; "
                    + "train.featurize-once=false trains on the rows, bit for bit reproducible by the single-process trainer");
        }
    }

    @Override
    public List<RemoteWorker.Report> run(EpochSpec spec) {
        int workers = spec.workers();
        Optional<WorkerModel> pending = toFeaturize;
        toFeaturize = Optional.empty();
        pending.ifPresent(next -> featurize(next, spec.batchPerWorker()));
        JavaRDD<Example> input = featurized.map(Featurized::rows).orElse(rows);
        int inputWidth = featurized.map(Featurized::width).orElse(width);
        JavaPairRDD<Integer, Example> keyed = input.mapPartitionsToPair(it -> route(it, spec));
        JavaPairRDD<Integer, Example> byWorker = keyed.partitionBy(new WorkerPartitioner(workers));
        ClassTag<RemoteWorker.Report> tag = ClassTag$.MODULE$.apply(RemoteWorker.Report.class);
        sc.setJobDescription("Permafrost epoch " + spec.epoch() + " (" + workers + " workers)");
        Object collected = byWorker.rdd().barrier().mapPartitions(new WorkerTask(spec, model, job, inputWidth, classes,
                featurized.map(Featurized::prefix)), false, tag).collect();
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
        featurized.ifPresent(f -> f.rows().unpersist(false));
        if (model != null) model.destroy();
        ExecutorNetworks.forget(job);
    }
}
