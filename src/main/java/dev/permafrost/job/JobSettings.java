package dev.permafrost.job;

import dev.permafrost.report.RunPictures;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import dev.permafrost.freeze.ClosestNames;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.ModelSpec;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.train.TrainingConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A job's settings: the defaults ({@code permafrost/defaults.conf}), a job file over them, then command-line
 * {@code key=value} overrides and flags. Unknown keys are errors that name the closest valid key.
 */
public record JobSettings(Config config) {
    private static final String ROOT = "permafrost";
    /** Settings that take fractions although their default is whole (HOCON reads 0.0 as the int 0). */
    private static final Set<String> FRACTIONS = Set.of("optimizer.weight-decay", "optimizer.dampening");

    public static JobSettings load(Optional<Path> jobFile, List<String> overrides) {
        Config defaults = ConfigFactory.parseResources(JobSettings.class, "/permafrost/defaults.conf",
                ConfigParseOptions.defaults().setAllowMissing(false));
        Config user = ConfigFactory.empty();
        if (jobFile.isPresent()) {
            Path file = jobFile.get();
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("job file " + file + " is a directory; give the job file itself, e.g. jobs/finetune.conf");
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("job file " + file + " does not exist; the ready jobs are in jobs/ (pretrain.conf, finetune.conf, ...)");
            }
            try {
                user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new IllegalArgumentException("job file " + file + " is not valid HOCON: " + e.getMessage());
            }
        }
        for (String o : overrides) user = parseOverride(o).withFallback(user);
        checkKeys(user, defaults, jobFile);
        Config merged;
        try {
            merged = user.withFallback(defaults).resolve();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("the settings do not resolve: " + e.getMessage());
        }
        checkTypes(merged, defaults, jobFile);
        return new JobSettings(merged);
    }

    public static Config parseOverride(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("override '" + text + "' should be key=value, e.g. train.epochs=3");
        String key = text.substring(0, eq).strip();
        if (!key.startsWith(ROOT + ".")) key = ROOT + "." + key;
        String value = text.substring(eq + 1).strip();
        try {
            return ConfigFactory.parseString(key + " = " + (value.isEmpty() ? "\"\"" : value));
        } catch (ConfigException e) {
            // A bare value HOCON cannot read (a URI with ':', say) is taken as a string.
            return ConfigFactory.parseMap(Map.of(key, value));
        }
    }

    private static void checkKeys(Config user, Config defaults, Optional<Path> jobFile) {
        Set<String> valid = new TreeSet<>();
        addKeys(defaults.root(), "", valid);
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (valid.contains(key) || valid.stream().anyMatch(v -> key.startsWith(v + "."))) continue;
            List<String> closest = ClosestNames.rank(key, new ArrayList<>(valid)).stream().limit(3).toList();
            throw new IllegalArgumentException("unknown setting '" + key + "'" + jobFile.map(f -> " in " + f).orElse("")
                    + "; did you mean " + String.join(" or ", closest) + "? All settings: permafrost/defaults.conf");
        }
    }

    /**
     * Every setting has the type of its default: a whole number where the default is one (within int range, or long
     * for seeds), a number where it is a fraction, true or false where it is a flag. A fraction, a word or an oversized
     * number is named with the key, the value and an example, before anything runs; without this HOCON would truncate
     * 1.5 to 1 and report a word as a raw type error.
     */
    private static void checkTypes(Config merged, Config defaults, Optional<Path> jobFile) {
        for (Map.Entry<String, ConfigValue> d : defaults.entrySet()) {
            String key = d.getKey();
            ConfigValue def = d.getValue();
            if (!merged.hasPath(key)) continue;
            ConfigValue given = merged.getValue(key);
            if (given == def) continue;
            String name = key.substring(ROOT.length() + 1);
            String where = jobFile.map(f -> " (in " + f + " or an override)").orElse("");
            Object raw = given.unwrapped();
            switch (def.valueType()) {
                case NUMBER -> {
                    Double number = raw instanceof Number n ? Double.valueOf(n.doubleValue()) : parseNumber(raw);
                    boolean whole = (def.unwrapped() instanceof Integer || def.unwrapped() instanceof Long) && !FRACTIONS.contains(name);
                    if (number == null || number.isNaN() || number.isInfinite()) {
                        throw new IllegalArgumentException(name + " = '" + raw + "'" + where + " is not a number; e.g. " + name + "=" + def.unwrapped());
                    }
                    if (whole) {
                        boolean asLong = name.endsWith("seed");
                        double max = asLong ? Long.MAX_VALUE : Integer.MAX_VALUE;
                        double min = asLong ? Long.MIN_VALUE : Integer.MIN_VALUE;
                        if (number != Math.rint(number)) {
                            throw new IllegalArgumentException(name + " = " + raw + where + " is not a whole number; e.g. " + name + "=" + def.unwrapped());
                        }
                        if (number > max || number < min || (raw instanceof String str && !fitsLong(str, asLong))) {
                            throw new IllegalArgumentException(name + " = " + raw + where + " is out of range: at most " + (long) max
                                    + "; e.g. " + name + "=" + def.unwrapped());
                        }
                    }
                }
                case BOOLEAN -> {
                    if (!(raw instanceof Boolean) && !(raw instanceof String str && List.of("true", "false", "yes", "no", "on", "off").contains(str))) {
                        throw new IllegalArgumentException(name + " = '" + raw + "'" + where + " is not true or false; e.g. " + name + "=" + def.unwrapped());
                    }
                }
                case STRING -> {
                    if (given.valueType() == com.typesafe.config.ConfigValueType.OBJECT || given.valueType() == com.typesafe.config.ConfigValueType.LIST) {
                        throw new IllegalArgumentException(name + where + " must be a single value, e.g. " + name + "=" + def.unwrapped());
                    }
                }
                default -> {
                    // lists and objects are read by their own parsers, which name their elements
                }
            }
        }
    }

    private static Double parseNumber(Object raw) {
        if (!(raw instanceof String str)) return null;
        try {
            return Double.parseDouble(str.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A whole number written out as text, checked exactly (a double cannot tell 2^63 from 2^63 - 1). */
    private static boolean fitsLong(String text, boolean asLong) {
        try {
            long v = Long.parseLong(text.strip());
            return asLong || (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Every leaf path of the defaults, those that default to null included (Config.entrySet skips them). */
    private static void addKeys(com.typesafe.config.ConfigObject object, String prefix, Set<String> valid) {
        for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
            String path = prefix + e.getKey(); // defaults.conf keys hold no dots, so no quoting is needed
            if (e.getValue() instanceof com.typesafe.config.ConfigObject child) addKeys(child, path + ".", valid);
            else valid.add(path);
        }
    }

    public Config root() {
        return config.getConfig(ROOT);
    }

    /** A setting that defaults to null: empty when it is not set. */
    public Optional<String> optional(String path) {
        return root().getIsNull(path) ? Optional.empty() : Optional.of(root().getString(path));
    }

    /** A setting the job cannot run without; the error names the setting and the flag that sets it. */
    public String required(String path, String flag) {
        return optional(path).filter(v -> !v.isBlank()).orElseThrow(() ->
                new IllegalArgumentException("no " + path + " given: set it in the job file or pass " + flag));
    }

    public ModelSpec modelSpec() {
        Config m = root().getConfig("model");
        List<ModelSpec.LayerSpec> layers = new ArrayList<>();
        List<? extends Config> entries;
        try {
            entries = m.getConfigList("layers");
            for (Config l : entries) l.getString("name");
        } catch (ConfigException e) {
            throw new IllegalArgumentException("model.layers must be a list of layers like { name = \"head\", type = output, out = 10, "
                    + "activation = softmax }, each with a name (HOCON cannot override one list element by index: repeat the list). "
                    + e.getMessage());
        }
        for (Config l : entries) {
            String name = l.getString("name");
            layers.add(new ModelSpec.LayerSpec(name, l.getString("type"), l.hasPath("out") ? l.getInt("out") : 0,
                    l.hasPath("activation") ? l.getString("activation") : "identity", l.hasPath("dropout") ? l.getDouble("dropout") : 0,
                    ints(l, "kernel", name), ints(l, "stride", name), ints(l, "padding", name),
                    l.hasPath("pooling") ? l.getString("pooling") : ModelSpec.LayerSpec.defaultPooling(l.getString("type"))));
        }
        return new ModelSpec(m.getInt("inputs"), ints(m, "input-shape", null), layers);
    }

    /** model.input-shape: [channels, height, width], or empty for flat rows. */
    public List<Integer> inputShape() {
        return ints(root().getConfig("model"), "input-shape", null);
    }

    /** A number or a list of numbers ([height, width], [channels, height, width]); empty when not set. */
    private static List<Integer> ints(Config c, String key, String layer) {
        if (!c.hasPath(key)) return List.of();
        String where = layer == null ? "model." + key : "layer '" + layer + "': " + key;
        try {
            List<Double> values = c.getValue(key).valueType() == com.typesafe.config.ConfigValueType.NUMBER ? List.of(c.getDouble(key))
                    : c.getDoubleList(key);
            List<Integer> out = new ArrayList<>();
            for (double v : values) {
                if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(where + " = " + values + ": " + v + " is not a whole number; e.g. 3 or [3, 3]");
                }
                out.add((int) v);
            }
            return List.copyOf(out);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + " must be a whole number or a list of whole numbers, e.g. 3 or [3, 3]: " + e.getMessage());
        }
    }

    public OptimizerConfig optimizer() {
        Config o = root().getConfig("optimizer");
        String name = o.getString("name");
        return switch (name) {
            case "adam", "adamw" -> new OptimizerConfig.Adam(o.getDouble("lr"), o.getDouble("beta1"), o.getDouble("beta2"), o.getDouble("eps"),
                    o.getDouble("weight-decay"), name.equals("adamw"), o.getBoolean("fma"));
            case "sgd" -> new OptimizerConfig.Sgd(o.getDouble("lr"), o.getDouble("momentum"), o.getDouble("dampening"),
                    o.getDouble("weight-decay"), o.getBoolean("nesterov"), o.getBoolean("fma"));
            default -> throw new IllegalArgumentException("optimizer.name = '" + name + "'; choose adam, adamw or sgd");
        };
    }

    public FreezeSchedule schedule() {
        Config f = root().getConfig("freeze");
        int from = f.getInt("from-epoch");
        List<String> gradual = f.getStringList("gradual-blocks");
        if (!gradual.isEmpty()) return FreezeSchedule.gradualUnfreeze(gradual, from, f.getInt("gradual-every"));
        FreezePlan plan = FreezePlan.parse(f.getStringList("patterns"), f.getStringList("keep-trainable"));
        if (plan.freeze().isEmpty() && !plan.keepTrainable().isEmpty()) {
            throw new IllegalArgumentException("freeze.keep-trainable is set but freeze.patterns is empty: nothing to keep trainable from");
        }
        return FreezeSchedule.of(new FreezeSchedule.Phase(from, plan));
    }

    /** The training settings; a count that cannot work (no epochs, no workers, empty batches) names its key and what is allowed. */
    public TrainingConfig training() {
        Config t = root().getConfig("train");
        int workers = atLeastOne(t, "workers", "how many workers train side by side", 2);
        int batch = atLeastOne(t, "batch-per-worker", "the samples each worker takes per step", 32);
        int epochs = atLeastOne(t, "epochs", "the number of passes over the data", 1);
        return new TrainingConfig(workers, batch, epochs, t.getLong("seed"), optimizer(), schedule(), t.getInt("shard-max-elements"),
                t.getInt("audit-every"));
    }

    private static int atLeastOne(Config train, String key, String meaning, int example) {
        int value = train.getInt(key);
        if (value < 1) {
            throw new IllegalArgumentException("train." + key + " = " + value + "; it must be a whole number >= 1 (" + meaning
                    + "): set it in the job file or override it, e.g. train." + key + "=" + example);
        }
        return value;
    }

    /** The settings as a run's report shows them. */
    public RunPictures.Settings reportSettings() {
        Map<String, String> all = new java.util.TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : root().entrySet()) {
            all.put(e.getKey(), e.getValue().render(com.typesafe.config.ConfigRenderOptions.concise()));
        }
        List<String> freeze = new ArrayList<>();
        for (String key : List.of("patterns", "keep-trainable", "from-epoch", "gradual-blocks", "gradual-every")) {
            freeze.add("freeze." + key + " = " + root().getValue("freeze." + key).render(com.typesafe.config.ConfigRenderOptions.concise()));
        }
        return new RunPictures.Settings(all, freeze);
    }

    /** A string as a HOCON value, quoted, for an override. */
    public static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
