package dev.permafrost.spark;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fashion-MNIST's IDX files to Parquet: {@code OUT/train} and {@code OUT/test}, columns {@code index} (stable row
 * number), {@code features} (array<float>, pixels in [0, 1]), {@code label} (0-based within the class filter) and
 * {@code class} (the original class).
 */
public final class FashionMnistImport {
    private FashionMnistImport() {
    }

    /** Returns the row counts written: train, test. */
    public static long[] write(SparkSession spark, Path idxDir, String out, FashionMnist.ClassRange classes, boolean overwrite) {
        long[] counts = new long[2];
        int i = 0;
        for (FashionMnist.Split split : FashionMnist.Split.values()) {
            LabeledData d = FashionMnist.load(idxDir, split, classes);
            StructType schema = new StructType()
                    .add("index", DataTypes.IntegerType, false)
                    .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                    .add("label", DataTypes.IntegerType, false)
                    .add("class", DataTypes.IntegerType, false);
            List<Row> rows = new ArrayList<>(d.size());
            int w = d.width();
            for (int r = 0; r < d.size(); r++) {
                Float[] x = new Float[w];
                for (int j = 0; j < w; j++) x[j] = d.features()[r * w + j];
                rows.add(RowFactory.create(r, x, d.labels()[r], d.labels()[r] + classes.from()));
            }
            String target = out + "/" + (split == FashionMnist.Split.TRAIN ? "train" : "test");
            // Many small slices: one 48 MB task would trip Spark's task-size warning.
            var rdd = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 32);
            spark.createDataFrame(rdd, schema).coalesce(4).write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(target);
            counts[i++] = d.size();
        }
        return counts;
    }
}
