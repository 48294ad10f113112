package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;

/** Spark sessions and inputs as the jobs need them. */
public final class SparkSessions {
    private SparkSessions() {
    }

    /**
     * A session for {@code master}, with barrier stages set to fail fast: Spark's default waits 40 x 15 s for slots.
     */
    public static SparkSession start(String master, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName)
                .setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1")
                .setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                .setIfMissing("spark.ui.showConsoleProgress", "false");
        if (master != null) conf.setMaster(master);
        if (master != null && master.startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1")
                    .setIfMissing("spark.ui.enabled", "false");
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * The master to ask for: the one requested, else none (spark-submit already set {@code spark.master}), else an
     * embedded {@code local[*]}.
     */
    public static String masterFor(String requested) {
        if (requested != null) return requested;
        return System.getProperty("spark.master") != null ? null : "local[*]";
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
