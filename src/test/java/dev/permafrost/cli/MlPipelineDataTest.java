package dev.permafrost.cli;

import com.google.gson.JsonParser;
import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Evaluation;
import dev.permafrost.spark.SparkSessions;
import dev.permafrost.testing.CommandLine;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data as a Spark ML pipeline leaves it: Fashion-MNIST pixels made an ML Vector and put through MLlib's
 * StandardScaler, written once with dense and once with sparse vectors, then trained on through the command line. Both
 * give the same model bit for bit, and the job's test accuracy (MLlib's evaluator) equals an independent count.
 */
@Tag("slow")
class MlPipelineDataTest {
    @TempDir
    Path dir;

    @Test
    void denseAndSparseVectorColumnsFromAScalerTrainTheSameModel() throws Exception {
        FashionMnist.ClassRange range = FashionMnist.ClassRange.parse("0-4");
        SparkSession spark = SparkSessions.start("local[2]", "permafrost-ml-pipeline-test");
        try {
            Dataset<Row> train = pixels(spark, Fashion.train(range).head(2400));
            Dataset<Row> test = pixels(spark, Fashion.test(range).head(600));
            StandardScalerModel scaler = new StandardScaler().setInputCol("raw").setOutputCol("scaled").setWithStd(true).setWithMean(false)
                    .fit(train);
            for (String kind : List.of("dense", "sparse")) {
                for (var split : List.of(List.of("train", train), List.of("test", test))) {
                    Dataset<Row> scaled = scaler.transform((Dataset<Row>) split.get(1));
                    if (kind.equals("sparse")) scaled = scaled.withColumn("scaled", udf((UDF1<Vector, Vector>) Vector::toSparse, new VectorUDT())
                            .apply(col("scaled")));
                    scaled.select("index", "scaled", "label").write().parquet(dir.resolve(kind + "/" + split.get(0)).toString());
                }
                Object stored = spark.read().parquet(dir.resolve(kind + "/train").toString()).first().get(1);
                assertEquals(kind.equals("dense") ? DenseVector.class : SparseVector.class, stored.getClass());
            }
        } finally {
            spark.stop();
        }

        float[][] params = new float[2][];
        double[] accuracy = new double[2];
        for (int k = 0; k < 2; k++) {
            String kind = k == 0 ? "dense" : "sparse";
            Path out = dir.resolve("run-" + kind);
            CommandLine.Run run = CommandLine.run("pretrain", "--epochs", "1", "--out", out.toString(),
                    "--data", dir.resolve(kind + "/train").toString(), "--test-data", dir.resolve(kind + "/test").toString(),
                    "--master", "local[2]", "data.features-column=scaled", "model.inputs=784",
                    "model.layers=[{name=\"pretrained.fc1\", type=dense, out=32, activation=relu},{name=\"head\", type=output, out=5, activation=softmax}]",
                    "train.batch-per-worker=16");
            assertEquals(0, run.exit(), run.out() + run.err());
            params[k] = Dl4jNetworks.load(out.resolve("model.zip")).paramsCopy();
            accuracy[k] = JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject().get("testAccuracy").getAsDouble();
        }
        assertArrayEquals(RawBits.of(params[0]), RawBits.of(params[1]), "dense and sparse vectors of the same values");
        assertEquals(accuracy[0], accuracy[1]);
        assertTrue(accuracy[0] > 0.7, "test accuracy " + accuracy[0]);

        // MLlib's accuracy equals a count of right predictions on the same rows (read back as the job read them).
        SparkSession again = SparkSessions.start("local[2]", "permafrost-ml-pipeline-check");
        try {
            List<Row> rows = again.read().parquet(dir.resolve("dense/test").toString()).orderBy("index").collectAsList();
            float[] x = new float[rows.size() * 784];
            int[] y = new int[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
                double[] v = ((Vector) rows.get(r).get(1)).toArray();
                for (int j = 0; j < 784; j++) x[r * 784 + j] = (float) v[j];
                y[r] = rows.get(r).getInt(2);
            }
            double counted = Evaluation.accuracy(Dl4jNetworks.load(dir.resolve("run-dense/model.zip")), new LabeledData(x, y, 784, 5));
            assertEquals(counted, accuracy[0], 1e-12);
        } finally {
            again.stop();
        }
    }

    /** Rows of index, raw (an ML Vector of the pixels, by MLlib's array_to_vector) and label. */
    private static Dataset<Row> pixels(SparkSession spark, LabeledData d) {
        List<Row> rows = new ArrayList<>(d.size());
        for (int r = 0; r < d.size(); r++) {
            Double[] x = new Double[d.width()];
            for (int j = 0; j < x.length; j++) x[j] = (double) d.features()[r * d.width() + j];
            rows.add(RowFactory.create(r, x, d.labels()[r]));
        }
        StructType schema = new StructType().add("index", DataTypes.IntegerType, false)
                .add("pixels", DataTypes.createArrayType(DataTypes.DoubleType, false), false).add("label", DataTypes.IntegerType, false);
        return spark.createDataFrame(rows, schema).withColumn("raw", array_to_vector(col("pixels"))).drop("pixels");
    }
}
