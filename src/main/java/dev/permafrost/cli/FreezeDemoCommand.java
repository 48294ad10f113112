package dev.permafrost.cli;

import dev.permafrost.report.ProgressPrinter;
import dev.permafrost.train.Listeners;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.io.Json;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Evaluation;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.train.FrozenBitsWatch;
import dev.permafrost.train.LocalTrainer;
import dev.permafrost.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The seed scenario on real Fashion-MNIST, in one JVM: train everything, freeze {@code pretrained.*} at an epoch,
 * keep training, and prove on raw bits after every step that the frozen values never moved.
 */
@Command(name = "freeze-demo", mixinStandardHelpOptions = true,
        description = "Train the demo network on Fashion-MNIST with W simulated workers, freeze part of it mid-run (pretrained.* unless "
                + "--freeze says otherwise), and verify "
                + "after every step that frozen parameters stay bit-identical.")
final class FreezeDemoCommand implements Callable<Integer> {
    @Mixin
    IdxOption idx;
    @Mixin
    OutputOptions output;
    @Option(names = "--workers", defaultValue = "2", description = "Simulated workers (default ${DEFAULT-VALUE}).")
    int workers;
    @Option(names = "--batch", defaultValue = "32", description = "Samples per worker per step (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--epochs", defaultValue = "4", description = "Epochs in all (default ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--freeze-from", defaultValue = "2", description = "First epoch with the freeze patterns applied (default ${DEFAULT-VALUE}).")
    int freezeFrom;
    @Mixin
    FreezeOptions freeze;
    @Option(names = "--rows", defaultValue = "0", description = "Use only the first N training rows (0 = all 60,000).")
    int rows;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--seed", defaultValue = "42", description = "Seed for initial weights and data order (default ${DEFAULT-VALUE}).")
    long seed;
    /** freeze-demo's metrics.json; {@code lastEpochLoss} is left out when no epoch ran. */
    record DemoMetrics(double testAccuracy, long steps, double seconds, double samplesPerSecond, Double lastEpochLoss,
                       long frozenElementComparisons, int frozenShardAudits, List<String> frozenParameters) {
    }

    @Override
    public Integer call() throws IOException {
        Path out = Path.of(output.out().orElse("out/demo"));
        // Without --freeze the demo freezes the pretrained block, as the seed scenario does.
        FreezePlan plan = freeze.freeze.isEmpty() ? FreezePlan.parse(List.of("pretrained.*"), freeze.keepTrainable) : freeze.plan();
        if (freeze.freeze.isEmpty()) plan.warnings().forEach(w -> System.err.println("warning: " + w));
        Path modelFile = out.resolve("model.zip");
        Path metricsFile = out.resolve("metrics.json");
        if (!output.overwrite && (Files.exists(modelFile) || Files.exists(metricsFile))) {
            throw new IllegalArgumentException(out + " already holds a run (model.zip or metrics.json): choose another --out or pass --overwrite");
        }
        LabeledData train = FashionMnist.load(idx.idx, FashionMnist.Split.TRAIN);
        if (rows > 0) train = train.head(rows);
        LabeledData test = FashionMnist.load(idx.idx, FashionMnist.Split.TEST);
        System.out.printf(Locale.ROOT, "Fashion-MNIST: %,d training rows, %,d test rows; %d workers x %d samples per step%n",
                train.size(), test.size(), workers, batch);

        var schedule = FreezeSchedule.of(new FreezeSchedule.Phase(freezeFrom, plan));
        var optimizer = new OptimizerConfig.Adam(lr, 0.9, 0.999, 1e-8, 0, false, true);
        var config = new TrainingConfig(workers, batch, epochs, seed, optimizer, schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        System.out.println("optimizer " + optimizer.describe() + "; from epoch " + freezeFrom + " frozen: " + plan.describe());

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
        // The written model, read back: every frozen parameter bit for bit against the values it was frozen with.
        var written = Dl4jNetworks.load(modelFile);
        var checks = result.frozenReference().check(written);
        var differing = checks.stream().filter(c -> !c.identical()).map(c -> c.name()).toList();
        if (!differing.isEmpty()) {
            throw new FrozenCopyMismatchException("the written " + modelFile + " differs from the frozen values in " + differing);
        }
        System.out.printf(Locale.ROOT, "verified %s: %d frozen parameters, %,d elements, bit-identical to the values they were frozen with%n",
                modelFile, checks.size(), checks.stream().mapToLong(c -> c.elements()).sum());
        DemoMetrics metrics = new DemoMetrics(accuracy, result.steps(), seconds, result.steps() * (double) workers * batch / seconds,
                Double.isNaN(result.lastEpochLoss()) ? null : result.lastEpochLoss(), watch.comparisons(), result.frozenAudits(), watch.watched().keySet().stream().sorted().toList());
        Path tmp = Files.createTempFile(out, "metrics", ".partial");
        Files.writeString(tmp, Json.write(metrics), StandardCharsets.UTF_8);
        Files.move(tmp, metricsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("wrote " + modelFile + " and " + metricsFile);
        return 0;
    }
}
