package dev.permafrost.cli;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.spark.FashionMnistImport;
import dev.permafrost.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Fashion-MNIST's IDX files into Parquet, with a class filter. */
@Command(name = "import-fashion-mnist", mixinStandardHelpOptions = true,
        description = "Write Fashion-MNIST as Parquet: OUT/train and OUT/test with columns index, features (array<float>), label, class.")
final class ImportCommand implements Callable<Integer> {
    @Mixin
    OutputOptions output;
    @Option(names = "--classes", defaultValue = "0-9", paramLabel = "RANGE",
            description = "Keep only these classes, relabelled from 0 (e.g. 0-4 to pretrain, 5-9 to fine-tune). Default ${DEFAULT-VALUE}.")
    String classes;
    @Mixin
    IdxOption idx;
    @Mixin
    MasterOption master;

    @Override
    public Integer call() {
        FashionMnist.ClassRange range = FashionMnist.ClassRange.parse(classes);
        String out = output.required();
        boolean overwrite = output.overwrite;
        SparkSession spark = SparkSessions.start(SparkSessions.masterFor(java.util.Optional.ofNullable(master.master)), "permafrost import-fashion-mnist");
        try {
            var files = new dev.permafrost.io.HadoopFiles(spark.sparkContext().hadoopConfiguration());
            if (!overwrite && (files.exists(out + "/train") || files.exists(out + "/test"))) {
                throw new IllegalArgumentException(out + " already holds an import (train/ or test/): choose another --out or pass --overwrite");
            }
            long started = System.nanoTime();
            long[] n = FashionMnistImport.write(spark, idx.idx, out, range, overwrite);
            System.out.printf(java.util.Locale.ROOT, "wrote %s/train (%,d rows) and %s/test (%,d rows), classes %s as labels 0-%d, in %.1f s%n",
                    out, n[0], out, n[1], range, range.count() - 1, (System.nanoTime() - started) / 1e9);
            return 0;
        } finally {
            spark.stop();
        }
    }
}
