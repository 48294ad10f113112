package dev.permafrost.bench;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Command line of {@link Dl4jSparkAnchor}. Besides the documented options it takes {@code --rows N} (the first N rows
 * of the training subset), {@code --params FILE} (starting parameters, as the benchmark command writes them) and
 * {@code --classes N} (output width; 10 by default, or whatever {@code --params} was written for).
 */
record AnchorArgs(Path idx, int batch, int epochs, boolean frozen, Path out, Optional<Integer> rows, Optional<Path> params,
                  Optional<Integer> classes) {

    static final Path DEFAULT_IDX = Path.of("/usr/share/datasets/fashion-mnist");

    AnchorArgs {
        if (batch < 2 || batch % 2 != 0) throw new IllegalArgumentException("--batch " + batch + ": an even global batch of at least 2 (two workers)");
        if (epochs < 1) throw new IllegalArgumentException("--epochs " + epochs + ": at least one timed epoch");
        if (rows.isPresent() && rows.get() < batch) throw new IllegalArgumentException("--rows " + rows.get() + ": fewer than one global batch");
        if (classes.isPresent() && classes.get() != 5 && classes.get() != 10) {
            throw new IllegalArgumentException("--classes " + classes.get() + ": 10 (labels 5-9 kept) or 5 (relabelled 0-4)");
        }
    }

    static AnchorArgs parse(String[] args) {
        Path idx = DEFAULT_IDX;
        Path out = null;
        int batch = 256;
        int epochs = 2;
        boolean frozen = false;
        Optional<Integer> rows = Optional.empty();
        Optional<Path> params = Optional.empty();
        Optional<Integer> classes = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--frozen" -> frozen = true;
                case "--idx" -> idx = Path.of(value(args, ++i, a));
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--batch" -> batch = number(args, ++i, a);
                case "--epochs" -> epochs = number(args, ++i, a);
                case "--rows" -> rows = Optional.of(number(args, ++i, a));
                case "--params" -> params = Optional.of(Path.of(value(args, ++i, a)));
                case "--classes" -> classes = Optional.of(number(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'; usage: Dl4jSparkAnchor [--idx DIR] "
                        + "[--batch N] [--epochs N] [--frozen] [--rows N] [--params FILE] [--classes 5|10] --out FILE");
            }
        }
        if (out == null) throw new IllegalArgumentException("--out FILE is required (the JSON result)");
        return new AnchorArgs(idx, batch, epochs, frozen, out, rows, params, classes);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static int number(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + v + ": not a whole number");
        }
    }
}
