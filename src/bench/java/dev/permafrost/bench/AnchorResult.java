package dev.permafrost.bench;

import com.google.gson.GsonBuilder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the anchor measured, and its JSON form. */
record AnchorResult(MultiLayerNetwork network, int batch, int rows, double warmupSeconds, List<Double> epochSeconds) {

    /** Median over the timed epochs of rows per second. */
    double samplesPerSecond() {
        double[] rates = epochSeconds.stream().mapToDouble(s -> rows / s).sorted().toArray();
        int n = rates.length;
        return n % 2 == 1 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
    }

    /**
     * {@code {"samplesPerSecond", "epochSeconds", "testAccuracy", "frozenIdentical" (null when nothing was frozen),
     * "batch", "rows", "warmupSeconds"}}.
     */
    void write(Path out, double testAccuracy, Boolean frozenIdentical) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("samplesPerSecond", samplesPerSecond());
        json.put("epochSeconds", epochSeconds);
        json.put("testAccuracy", testAccuracy);
        json.put("frozenIdentical", frozenIdentical);
        json.put("batch", batch);
        json.put("rows", rows);
        json.put("warmupSeconds", warmupSeconds);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.writeString(out, new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(json) + "\n", StandardCharsets.UTF_8);
    }
}
