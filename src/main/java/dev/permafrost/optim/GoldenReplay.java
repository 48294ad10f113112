package dev.permafrost.optim;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Replays reference trajectories (schema {@code adam-golden/v1}: any element count, any step count, float32 and
 * float64 cases) through the Adam kernels and compares every recorded value bit for bit.
 */
public final class GoldenReplay {

    /** The outcome of one case: exact, or where it first went wrong. */
    public record CaseResult(String id, String dtype, int steps, int elements, Optional<String> firstDifference) {
        public boolean exact() {
            return firstDifference.isEmpty();
        }
    }

    private GoldenReplay() {
    }

    public static List<CaseResult> replay(Path file, boolean fma) {
        JsonObject root = read(file);
        JsonObject inputs = object(root, "inputs", file);
        int n = inputs.get("n").getAsInt();
        int nSteps = inputs.get("n_steps").getAsInt();
        double[] initial = doubles(inputs.getAsJsonArray("initial_params"), n, "inputs.initial_params", file);
        JsonArray gradRows = inputs.getAsJsonArray("grads");
        if (gradRows == null || gradRows.size() < nSteps) {
            throw new GoldenFileException(file + ": inputs.grads must hold n_steps = " + nSteps + " rows");
        }
        double[][] grads = new double[nSteps][];
        for (int s = 0; s < nSteps; s++) grads[s] = doubles(gradRows.get(s).getAsJsonArray(), n, "inputs.grads[" + s + "]", file);

        List<CaseResult> results = new ArrayList<>();
        JsonArray cases = root.getAsJsonArray("cases");
        if (cases == null) throw new GoldenFileException(file + ": no 'cases' array");
        for (JsonElement e : cases) {
            results.add(replayCase(e.getAsJsonObject(), initial, grads, fma, file));
        }
        return results;
    }

    private static CaseResult replayCase(JsonObject c, double[] initial, double[][] grads, boolean fma, Path file) {
        String id = c.get("id").getAsString();
        String dtype = c.get("dtype").getAsString();
        String optimizer = c.get("optimizer").getAsString();
        if (c.has("amsgrad") && c.get("amsgrad").getAsBoolean() || c.has("maximize") && c.get("maximize").getAsBoolean()) {
            throw new GoldenFileException(file + ": case " + id + " uses amsgrad or maximize, which the kernels do not implement");
        }
        boolean decoupled = switch (optimizer) {
            case "Adam" -> false;
            case "AdamW" -> true;
            default -> throw new GoldenFileException(file + ": case " + id + " has optimizer '" + optimizer
                    + "'; the replay knows Adam and AdamW");
        };
        JsonArray betas = c.getAsJsonArray("betas");
        var config = new OptimizerConfig.Adam(c.get("lr").getAsDouble(), betas.get(0).getAsDouble(), betas.get(1).getAsDouble(),
                c.get("eps").getAsDouble(), c.get("weight_decay").getAsDouble(), decoupled, fma);
        JsonArray steps = c.getAsJsonArray("steps");
        int n = initial.length;
        String diff = switch (dtype) { // null: bit-exact
            case "float32" -> replayFloat(config, initial, grads, steps, n);
            case "float64" -> replayDouble(config, initial, grads, steps, n);
            default -> throw new GoldenFileException(file + ": case " + id + " has dtype '" + dtype + "'; expected float32 or float64");
        };
        return new CaseResult(id, dtype, steps.size(), n, Optional.ofNullable(diff));
    }

    private static String replayFloat(OptimizerConfig.Adam c, double[] initial, double[][] grads, JsonArray steps, int n) {
        float[] p = new float[n];
        float[] m = new float[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) p[i] = (float) initial[i];
        for (int s = 0; s < steps.size(); s++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = (float) grads[s][i];
            JsonObject rec = steps.get(s).getAsJsonObject();
            long t = rec.has("step_counter") ? rec.get("step_counter").getAsLong() : s + 1;
            AdamKernel.stepFloat(p, 0, g, 0, m, v, 0, n, t, c);
            for (String field : new String[]{"params", "exp_avg", "exp_avg_sq"}) {
                float[] actual = field.equals("params") ? p : field.equals("exp_avg") ? m : v;
                JsonArray bits = rec.getAsJsonArray(field + "_bits");
                for (int i = 0; i < n; i++) {
                    int expected = (int) Long.parseLong(bits.get(i).getAsString().substring(2), 16);
                    int got = Float.floatToRawIntBits(actual[i]);
                    if (expected != got) {
                        return String.format("step %d, %s[%d]: expected 0x%08x (%s), got 0x%08x (%s), %d ulp apart",
                                s + 1, field, i, expected, Float.intBitsToFloat(expected), got, actual[i],
                                Math.abs((long) expected - got));
                    }
                }
            }
        }
        return null;
    }

    private static String replayDouble(OptimizerConfig.Adam c, double[] initial, double[][] grads, JsonArray steps, int n) {
        double[] p = initial.clone();
        double[] m = new double[n];
        double[] v = new double[n];
        for (int s = 0; s < steps.size(); s++) {
            JsonObject rec = steps.get(s).getAsJsonObject();
            long t = rec.has("step_counter") ? rec.get("step_counter").getAsLong() : s + 1;
            AdamKernel.stepDouble(p, grads[s].clone(), m, v, t, c);
            for (String field : new String[]{"params", "exp_avg", "exp_avg_sq"}) {
                double[] actual = field.equals("params") ? p : field.equals("exp_avg") ? m : v;
                JsonArray bits = rec.getAsJsonArray(field + "_bits");
                for (int i = 0; i < n; i++) {
                    long expected = Long.parseUnsignedLong(bits.get(i).getAsString().substring(2), 16);
                    long got = Double.doubleToRawLongBits(actual[i]);
                    if (expected != got) {
                        return String.format("step %d, %s[%d]: expected 0x%016x (%s), got 0x%016x (%s), %d ulp apart",
                                s + 1, field, i, expected, Double.longBitsToDouble(expected), got, actual[i],
                                Math.abs(expected - got));
                    }
                }
            }
        }
        return null;
    }

    private static JsonObject read(Path file) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement root = JsonParser.parseReader(r);
            if (!root.isJsonObject()) throw new GoldenFileException(file + ": expected a JSON object at the top");
            JsonObject o = root.getAsJsonObject();
            if (o.has("schema") && !o.get("schema").getAsString().startsWith("adam-golden/")) {
                throw new GoldenFileException(file + ": schema '" + o.get("schema").getAsString() + "' is not adam-golden/v1");
            }
            return o;
        } catch (NoSuchFileException e) {
            throw new GoldenFileException("golden file not found: " + file + " (pass the path of a file such as src/test/resources/golden/adam_golden.json)");
        } catch (IOException e) {
            throw new GoldenFileException("cannot read golden file " + file + ": " + e.getMessage());
        } catch (JsonParseException | IllegalStateException e) {
            throw new GoldenFileException(file + " is not valid JSON of schema adam-golden/v1: " + e.getMessage());
        }
    }

    private static JsonObject object(JsonObject o, String key, Path file) {
        if (!o.has(key) || !o.get(key).isJsonObject()) throw new GoldenFileException(file + ": missing object '" + key + "'");
        return o.getAsJsonObject(key);
    }

    private static double[] doubles(JsonArray a, int n, String what, Path file) {
        if (a == null || a.size() != n) {
            throw new GoldenFileException(file + ": " + what + " must hold n = " + n + " values, has " + (a == null ? 0 : a.size()));
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = a.get(i).getAsDouble();
        return out;
    }

    /** A reference file that cannot be replayed; the message names the file and what is wrong. */
    public static final class GoldenFileException extends RuntimeException {
        public GoldenFileException(String message) {
            super(message);
        }
    }
}
