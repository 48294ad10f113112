package dev.permafrost.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads Fashion-MNIST from its IDX files (gzipped or not), as Debian's {@code dataset-fashion-mnist} installs
 * them, with an optional class filter: classes 0–4 to pretrain and 5–9 to fine-tune is the classic transfer set-up.
 * Pixels are scaled to [0, 1].
 */
public final class FashionMnist {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int WIDTH = 28 * 28;
    public static final int CLASSES = 10;
    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    public enum Split {
        TRAIN("train"), TEST("t10k");
        final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private FashionMnist() {
    }

    /** All ten classes, labels as recorded. */
    public static LabeledData load(Path dir, Split split) {
        return load(dir, split, ClassRange.ALL);
    }

    /**
     * Only the classes in {@code range}, relabelled to {@code 0..range.count()-1} so a head of that width fits
     * (class 5 becomes 0 when the range is 5-9).
     */
    public static LabeledData load(Path dir, Split split, ClassRange range) {
        byte[] classes = classes(dir, split);
        byte[] pixels = pixelBytes(dir, split, 0, classes.length);
        int kept = 0;
        for (byte c : classes) if (range.contains(c)) kept++;
        float[] x = new float[kept * WIDTH];
        int[] y = new int[kept];
        int k = 0;
        for (int r = 0; r < classes.length; r++) {
            if (!range.contains(classes[r])) continue;
            scale(pixels, r, x, k);
            y[k] = classes[r] - range.from();
            k++;
        }
        return new LabeledData(x, y, WIDTH, range.count());
    }

    /**
     * Every image's class, in file order, after checking both files' headers: the magic numbers, 28x28 images and as
     * many labels as images.
     */
    public static byte[] classes(Path dir, Split split) {
        Path images = find(dir, split.prefix + "-images-idx3-ubyte");
        Path labels = find(dir, split.prefix + "-labels-idx1-ubyte");
        int rows;
        try (DataInputStream in = open(images)) {
            rows = imagesHeader(in, images);
        } catch (IOException e) {
            throw bad(images, e.getMessage());
        }
        try (DataInputStream in = open(labels)) {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) throw bad(labels, "magic number 0x" + Integer.toHexString(magic) + ", expected 0x801 (IDX labels)");
            int n = in.readInt();
            if (n != rows) throw bad(labels, n + " labels for " + rows + " images in " + images.getFileName());
            byte[] classes = in.readNBytes(n);
            if (classes.length != n) throw bad(labels, "truncated: " + classes.length + " of " + n + " labels");
            return classes;
        } catch (IOException e) {
            throw bad(labels, e.getMessage());
        }
    }

    /**
     * The raw pixel bytes of images {@code from..to-1} (row-major, 784 per image), read by streaming past the ones
     * before: a gzipped file cannot be entered in the middle, but skipping decompresses without keeping anything.
     */
    public static byte[] pixelBytes(Path dir, Split split, int from, int to) {
        Path images = find(dir, split.prefix + "-images-idx3-ubyte");
        try (DataInputStream in = open(images)) {
            int rows = imagesHeader(in, images);
            if (from < 0 || to > rows || to < from) throw new IllegalArgumentException("images " + from + ".." + to + " outside 0.." + rows);
            try {
                in.skipNBytes((long) from * WIDTH);
            } catch (java.io.EOFException e) {
                throw bad(images, "truncated before image " + from + " of " + rows);
            }
            byte[] pixels = in.readNBytes((to - from) * WIDTH);
            if (pixels.length != (to - from) * WIDTH) {
                throw bad(images, "truncated: image " + (from + pixels.length / WIDTH) + " of " + rows + " is incomplete");
            }
            return pixels;
        } catch (IOException e) {
            throw bad(images, e.getMessage());
        }
    }

    /** Image {@code row} of {@code pixels} scaled to [0, 1] into {@code out} at image position {@code at}. */
    public static void scale(byte[] pixels, int row, float[] out, int at) {
        for (int j = 0; j < WIDTH; j++) out[at * WIDTH + j] = (pixels[row * WIDTH + j] & 0xFF) / 255f;
    }

    /** Reads and checks the images file's header; returns its image count. */
    private static int imagesHeader(DataInputStream in, Path images) throws IOException {
        int magic = in.readInt();
        if (magic != IMAGES_MAGIC) throw bad(images, "magic number 0x" + Integer.toHexString(magic) + ", expected 0x803 (IDX images)");
        int rows = in.readInt();
        int h = in.readInt();
        int w = in.readInt();
        if (h * w != WIDTH) throw bad(images, "images are " + h + "x" + w + ", expected 28x28");
        return rows;
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[]{base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IllegalArgumentException("Fashion-MNIST file " + base + "(.gz) not found in " + dir
                + ": install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or point to the folder that holds the IDX files");
    }

    private static DataInputStream open(Path p) throws IOException {
        InputStream in = Files.newInputStream(p);
        if (p.toString().endsWith(".gz")) in = new GZIPInputStream(in, 1 << 16);
        return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
    }

    private static IllegalArgumentException bad(Path p, String what) {
        return new IllegalArgumentException("Fashion-MNIST file " + p + " is not usable: " + what);
    }

    /** An inclusive range of class indices, written {@code 0-4} or {@code 7}. */
    public record ClassRange(int from, int to) {
        public static final ClassRange ALL = new ClassRange(0, CLASSES - 1);

        public ClassRange {
            if (from < 0 || to >= CLASSES || to < from) {
                throw new IllegalArgumentException("class range " + from + "-" + to + " must lie within 0-" + (CLASSES - 1)
                        + " and not end before it starts");
            }
        }

        public static ClassRange parse(String text) {
            String[] parts = text.strip().split("-", -1);
            try {
                if (parts.length == 1) return new ClassRange(Integer.parseInt(parts[0]), Integer.parseInt(parts[0]));
                if (parts.length == 2) return new ClassRange(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            } catch (NumberFormatException ignored) {
                // fall through to the message below
            }
            throw new IllegalArgumentException("class range '" + text + "' should look like '0-4' or '7'");
        }

        public boolean contains(byte c) {
            return c >= from && c <= to;
        }

        public int count() {
            return to - from + 1;
        }

        @Override
        public String toString() {
            return from == to ? Integer.toString(from) : from + "-" + to;
        }
    }
}
