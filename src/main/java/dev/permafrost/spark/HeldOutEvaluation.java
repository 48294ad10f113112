package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import dev.permafrost.network.Evaluation;
import dev.permafrost.network.Network;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores a network on held-out rows with MLlib's {@link MulticlassClassificationEvaluator}, the evaluator a Spark ML
 * pipeline would use: the network predicts each row on the driver, and MLlib computes the metrics from the
 * (prediction, label) pairs.
 */
public final class HeldOutEvaluation {
    /** Accuracy and the weighted F1 score over every class, from the same predictions. */
    public record Scores(double accuracy, double weightedF1) {
    }

    private HeldOutEvaluation() {
    }

    public static Scores of(SparkSession spark, Network network, LabeledData data) {
        int[] predicted = Evaluation.predictions(network, data);
        List<Row> rows = new ArrayList<>(predicted.length);
        for (int i = 0; i < predicted.length; i++) rows.add(RowFactory.create((double) predicted[i], (double) data.labels()[i]));
        StructType schema = new StructType().add("prediction", DataTypes.DoubleType, false).add("label", DataTypes.DoubleType, false);
        var pairs = spark.createDataFrame(rows, schema).cache();
        try {
            var evaluator = new MulticlassClassificationEvaluator().setPredictionCol("prediction").setLabelCol("label");
            return new Scores(evaluator.setMetricName("accuracy").evaluate(pairs), evaluator.setMetricName("f1").evaluate(pairs));
        } finally {
            pairs.unpersist();
        }
    }
}
