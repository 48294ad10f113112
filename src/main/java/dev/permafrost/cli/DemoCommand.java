package dev.permafrost.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.train.Dl4jNetworks;
import dev.permafrost.train.Evaluation;
import dev.permafrost.train.FrozenBitsWatch;
import dev.permafrost.train.LocalTrainer;
import dev.permafrost.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The seed scenario on real Fashion-MNIST, in one JVM: train everything, freeze {@code pretrained.*} at an epoch,
 * keep training, and prove on raw bits after every step that the frozen values never moved.
 */
@Command(name = "freeze-demo", mixinStandardHelpOptions = true,
        description = "Train the demo network on Fashion-MNIST with W simulated workers, freeze part of it mid-run, and verify "
                + "after every step that frozen parameters stay bit-identical.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", description = "Folder with the Fashion-MNIST IDX files (default ${DEFAULT-VALUE}).",
            defaultValue = "/usr/share/datasets/fashion-mnist")
    Path data;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "out/demo", description = "Where model.zip and metrics.json go (default ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--workers", defaultValue = "2", description = "Simulated workers (default ${DEFAULT-VALUE}).")
    int workers;
    @Option(names = "--batch", defaultValue = "32", description = "Samples per worker per step (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--epochs", defaultValue = "4", description = "Epochs in all (default ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--freeze-from", defaultValue = "2", description = "First epoch with the freeze patterns applied (default ${DEFAULT-VALUE}).")
    int freezeFrom;
    @Option(names = "--freeze", paramLabel = "PATTERN", description = "Patterns frozen from --freeze-from (default pretrained.*).")
    List<String> freeze = new ArrayList<>(List.of("pretrained.*"));
    @Option(names = "--rows", defaultValue = "0", description = "Use only the first N training rows (0 = all 60,000).")
    int rows;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--seed", defaultValue = "42", description = "Seed for initial weights and data order (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--overwrite", description = "Replace the outputs of an earlier run in --out.")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        Path modelFile = out.resolve("model.zip");
        Path metricsFile = out.resolve("metrics.json");
        if (!overwrite && (Files.exists(modelFile) || Files.exists(metricsFile))) {
            throw new IllegalArgumentException(out + " already holds a run (model.zip or metrics.json): choose another --out or pass --overwrite");
        }
        LabeledData train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        if (rows > 0) train = train.head(rows);
        LabeledData test = FashionMnist.load(data, FashionMnist.Split.TEST);
        System.out.printf(Locale.ROOT, "Fashion-MNIST: %,d training rows, %,d test rows; %d workers x %d samples per step%n",
                train.size(), test.size(), workers, batch);

        var schedule = FreezeSchedule.of(new FreezeSchedule.Phase(freezeFrom, FreezePlan.parse(freeze, List.of())));
        var optimizer = new OptimizerConfig.Adam(lr, 0.9, 0.999, 1e-8, 0, false, true);
        var config = new TrainingConfig(workers, batch, epochs, seed, optimizer, schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        System.out.println("optimizer " + optimizer.describe() + "; from epoch " + freezeFrom + " frozen: " + freeze);

        FrozenBitsWatch watch = new FrozenBitsWatch();
        long started = System.nanoTime();
        LocalTrainer.Result result = new LocalTrainer(config).fit(Dl4jNetworks.of(FashionMlp.build(FashionMnist.CLASSES, seed)),
                train, Listeners.of(new ProgressPrinter(System.out, epochs), watch));
        double seconds = (System.nanoTime() - started) / 1e9;
        double accuracy = Evaluation.accuracy(result.network(), test);

        System.out.printf(Locale.ROOT, "frozen check: %d parameters watched since epoch %d, %,d element comparisons on raw bits, all identical; "
                + "%,d shard fingerprint audits passed%n", watch.watched().size(), freezeFrom, watch.comparisons(), result.frozenAudits());
        System.out.printf(Locale.ROOT, "test accuracy %.4f after %d steps in %.1f s%n", accuracy, result.steps(), seconds);

        Files.createDirectories(out);
        Dl4jNetworks.save(result.network(), modelFile);
        JsonObject metrics = new JsonObject();
        metrics.addProperty("testAccuracy", accuracy);
        metrics.addProperty("steps", result.steps());
        metrics.addProperty("seconds", seconds);
        metrics.addProperty("samplesPerSecond", result.steps() * (double) workers * batch / seconds);
        metrics.addProperty("lastEpochLoss", result.lastEpochLoss());
        metrics.addProperty("frozenElementComparisons", watch.comparisons());
        metrics.addProperty("frozenShardAudits", result.frozenAudits());
        JsonArray frozen = new JsonArray();
        watch.watched().keySet().stream().sorted().forEach(frozen::add);
        metrics.add("frozenParameters", frozen);
        Path tmp = Files.createTempFile(out, "metrics", ".partial");
        Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(metrics), StandardCharsets.UTF_8);
        Files.move(tmp, metricsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("wrote " + modelFile + " and " + metricsFile);
        return 0;
    }
}
