package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Spark sessions and inputs as the jobs need them. */
public final class SparkSessions {
    private SparkSessions() {
    }

    /**
     * A session for {@code master}, with barrier stages set to fail fast: Spark's default waits 40 x 15 s for slots.
     */
    public static SparkSession start(String master, String appName) {
        return start(Optional.of(master), appName);
    }

    /** A session for {@code master}, or for the master spark-submit set when it is empty. */
    public static SparkSession start(Optional<String> master, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName)
                .setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1")
                .setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                .setIfMissing("spark.ui.showConsoleProgress", "false");
        master.ifPresent(conf::setMaster);
        if (master.filter(m -> m.startsWith("local")).isPresent()) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1")
                    .setIfMissing("spark.ui.enabled", "false");
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * The master to ask for: the one requested, else none (spark-submit already set {@code spark.master}), else an
     * embedded {@code local[*]}.
     */
    public static Optional<String> masterFor(Optional<String> requested) {
        requested.ifPresent(SparkSessions::requireMaster);
        if (requested.isPresent()) return requested;
        return System.getProperty("spark.master") != null ? Optional.empty() : Optional.of("local[*]");
    }

    private static final java.util.regex.Pattern LOCAL = java.util.regex.Pattern.compile("local(\\[(\\*|\\d+)(,\\d+)?])?");
    private static final java.util.regex.Pattern CLUSTER = java.util.regex.Pattern.compile(
            "spark://[^,/:]+:\\d+(,[^,/:]+:\\d+)*|yarn|k8s://\\S+|local-cluster\\[\\d+, *\\d+, *\\d+]");

    /**
     * Refuses a master Spark would fail on only after starting (a raw SparkException), or start with no threads:
     * {@code local}, {@code local[N]} and {@code local[N,F]} with N >= 1, {@code local[*]}, {@code spark://HOST:PORT},
     * {@code yarn} and {@code k8s://...} are the choices.
     */
    public static void requireMaster(String master) {
        String fix = ": choose local[N] (N >= 1 threads), local[*], spark://HOST:PORT (a standalone cluster), yarn, or k8s://https://HOST:PORT";
        java.util.regex.Matcher local = LOCAL.matcher(master);
        if (local.matches()) {
            if (local.group(2) != null && !local.group(2).equals("*")) {
                long threads;
                try {
                    threads = Long.parseLong(local.group(2));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--master " + master + " asks for too many threads" + fix);
                }
                if (threads < 1 || threads > 4096) throw new IllegalArgumentException("--master " + master + " asks for " + threads + " threads" + fix);
            }
            return;
        }
        if (!CLUSTER.matcher(master).matches()) throw new IllegalArgumentException("--master " + master + " is not a Spark master" + fix);
    }

    /** In-memory rows as a cached RDD with stable indices. */
    public static JavaRDD<Example> rows(JavaSparkContext sc, LabeledData data, int partitions) {
        List<Example> list = new ArrayList<>(data.size());
        int w = data.width();
        for (int i = 0; i < data.size(); i++) {
            list.add(new Example(i, java.util.Arrays.copyOfRange(data.features(), i * w, (i + 1) * w), data.labels()[i]));
        }
        return sc.parallelize(list, partitions).cache();
    }
}
