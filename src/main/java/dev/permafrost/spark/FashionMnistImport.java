package dev.permafrost.spark;

import dev.permafrost.data.FashionMnist;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Fashion-MNIST's IDX files to Parquet: {@code OUT/train} and {@code OUT/test}, columns {@code index} (stable row
 * number), {@code features} (array<float>, pixels in [0, 1]), {@code label} (0-based within the class filter) and
 * {@code class} (the original class).
 *
 * <p>The driver reads only the labels (60,000 bytes for the training split) and plans slices of images; each task
 * reads its own slice from the IDX file, so no task carries pixel data. The IDX folder must therefore be readable at
 * the same path where tasks run: on the embedded local Spark that is this machine; on a cluster, every executor host
 * (Debian's {@code dataset-fashion-mnist} package installs the same path everywhere).
 */
public final class FashionMnistImport {
    /** Images per task: about 6 MB of pixels, so a slice is a small Parquet file and both cores stay busy. */
    static final int IMAGES_PER_TASK = 8192;

    private FashionMnistImport() {
    }

    /**
     * One task's images: {@code from..to-1} in file order, their classes, and the {@code index} the first kept image
     * gets (the rows before it that pass the class filter, counted on the driver).
     */
    record Slice(String idxDir, FashionMnist.Split split, int from, int to, int firstIndex, byte[] classes,
                 int classFrom, int classTo) implements Serializable {
    }

    /** Returns the row counts written: train, test. */
    public static long[] write(SparkSession spark, Path idxDir, String out, FashionMnist.ClassRange classes, boolean overwrite) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        long[] counts = new long[2];
        int i = 0;
        for (FashionMnist.Split split : FashionMnist.Split.values()) {
            List<Slice> slices = slices(idxDir, split, classes);
            long rows = slices.stream().mapToLong(s -> kept(s)).sum();
            Dataset<Image> images = spark.createDataset(sc.parallelize(slices, slices.size()).flatMap(FashionMnistImport::rows).rdd(),
                    Encoders.bean(Image.class));
            String target = out + "/" + (split == FashionMnist.Split.TRAIN ? "train" : "test");
            images.select(col("index"), col("features"), col("label"), col("originalClass").as("class")).write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(target);
            counts[i++] = rows;
        }
        return counts;
    }

    /** The split's images cut into slices of {@link #IMAGES_PER_TASK}, each knowing the index of its first kept row. */
    static List<Slice> slices(Path idxDir, FashionMnist.Split split, FashionMnist.ClassRange range) {
        byte[] all = FashionMnist.classes(idxDir, split);
        List<Slice> slices = new ArrayList<>();
        int index = 0;
        for (int from = 0; from < all.length; from += IMAGES_PER_TASK) {
            int to = Math.min(all.length, from + IMAGES_PER_TASK);
            Slice s = new Slice(idxDir.toAbsolutePath().toString(), split, from, to, index, Arrays.copyOfRange(all, from, to), range.from(), range.to());
            slices.add(s);
            index += kept(s);
        }
        return slices;
    }

    private static int kept(Slice s) {
        int n = 0;
        for (byte c : s.classes()) if (c >= s.classFrom() && c <= s.classTo()) n++;
        return n;
    }

    /** One written row; a bean so Spark's encoder stores the pixels as a primitive array, without boxing. */
    public static final class Image implements Serializable {
        private int index;
        private float[] features;
        private int label;
        private int originalClass;

        public int getIndex() {
            return index;
        }

        public void setIndex(int index) {
            this.index = index;
        }

        public float[] getFeatures() {
            return features;
        }

        public void setFeatures(float[] features) {
            this.features = features;
        }

        public int getLabel() {
            return label;
        }

        public void setLabel(int label) {
            this.label = label;
        }

        public int getOriginalClass() {
            return originalClass;
        }

        public void setOriginalClass(int originalClass) {
            this.originalClass = originalClass;
        }
    }

    /** A slice's rows, read in the task from the IDX file. */
    static Iterator<Image> rows(Slice s) {
        byte[] pixels = FashionMnist.pixelBytes(Path.of(s.idxDir()), s.split(), s.from(), s.to());
        List<Image> rows = new ArrayList<>(s.to() - s.from());
        int index = s.firstIndex();
        for (int r = 0; r < s.classes().length; r++) {
            int c = s.classes()[r];
            if (c < s.classFrom() || c > s.classTo()) continue;
            Image image = new Image();
            image.features = new float[FashionMnist.WIDTH];
            FashionMnist.scale(pixels, r, image.features, 0);
            image.index = index++;
            image.label = c - s.classFrom();
            image.originalClass = c;
            rows.add(image);
        }
        return rows.iterator();
    }
}
