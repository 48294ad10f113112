package dev.permafrost.spark;

import dev.permafrost.data.LabeledData;
import dev.permafrost.data.RowChecks;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads training rows from a DataFrame source (Parquet, or CSV with a header) into indexed examples, checking every
 * row: feature width, NaN/Inf, label type and range. Bad rows fail the job naming the first one, or are dropped and
 * counted. Rows are numbered 0..n-1 in the order of the index column (or of reading), so every epoch's split is the
 * same on every run. An index column, when there is one, must give every row a unique, non-null whole number: a null
 * or repeated value fails the job whatever {@code bad-rows} says, since it would make the numbering ambiguous.
 */
public final class DatasetInput {

    /** Where the columns are and what the model expects of them. */
    public record Spec(String path, String format, String featuresColumn, String labelColumn, String indexColumn, int width,
                       int classes, boolean dropBadRows) implements Serializable {
    }

    /**
     * The rows, cached, and what was left out.
     *
     * @param rows           the kept rows, numbered 0..count-1, cached (unpersist them when done)
     * @param count          how many rows were kept
     * @param dropped        how many bad rows were skipped ({@code data.bad-rows = drop}); 0 otherwise
     * @param path           the data path as read, qualified (scheme and authority included)
     * @param rowIndexDigest which rows were kept and how they were numbered, for checkpoint identity: the wrapping
     *                       64-bit sum over the kept rows of {@code fmix64(index * 0x9E3779B97F4A7C15L ^ key)}
     *                       (MurmurHash3's finaliser), where {@code index} is the number the row was given
     *                       (0..count-1) and {@code key} its original order key: the index column's value, or
     *                       without one the row's read position (for LibSVM its position among the data lines,
     *                       from 0). A sum, so it does not depend on partitioning, on the number of
     *                       files or on the order Spark returns rows; it changes when a row is added, dropped or
     *                       given another key. It covers neither feature nor label values.
     * @param contentDigest  what the kept rows hold, for checkpoint identity: the wrapping 64-bit sum over the kept rows
     *                       of {@link #contentTerm}, a MurmurHash3-style mix of the row's number, its label and the raw
     *                       bits of every feature. Computed in the same pass that counts the rows; it changes when any
     *                       feature or label changes, whatever the path and row count say.
     */
    public record Loaded(JavaRDD<Example> rows, int count, long dropped, int width, int classes, String path, long rowIndexDigest,
                         long contentDigest) {
    }

    private DatasetInput() {
    }

    public static Loaded read(SparkSession spark, Spec given) {
        return read(spark, given, "data.path / --data");
    }

    /** Reads the rows at the path the setting {@code setting} names (named when the path does not exist). */
    public static Loaded read(SparkSession spark, Spec given, String setting) {
        // Qualified on the driver: a relative path would mean each executor's own working folder. Spark's libsvm
        // reader names its columns label and features, and has no index column.
        boolean libsvm = given.format().equals("libsvm");
        Spec spec = new Spec(qualify(spark, given.path()), given.format(), libsvm ? "features" : given.featuresColumn(),
                libsvm ? "label" : given.labelColumn(), libsvm ? "" : given.indexColumn(), given.width(), given.classes(), given.dropBadRows());
        requireExists(spark, spec.path(), setting);
        Dataset<Row> df = switch (spec.format()) {
            case "parquet" -> readParquet(spark, spec.path());
            case "csv" -> spark.read().option("header", "true").option("inferSchema", "true").csv(spec.path());
            case "libsvm" -> readLibSvm(spark, spec.path());
            default -> throw new IllegalArgumentException("data.format = '" + spec.format() + "'; choose parquet, csv or libsvm");
        };
        List<String> columns = Arrays.asList(df.columns());
        if (!columns.contains(spec.labelColumn())) {
            throw new IllegalArgumentException("data " + spec.path() + " has no label column '" + spec.labelColumn() + "'; its columns are "
                    + columns + ". Set data.label-column.");
        }
        DataType labelType = df.schema().apply(spec.labelColumn()).dataType();
        if (!(labelType instanceof NumericType)) {
            throw new IllegalArgumentException("label column '" + spec.labelColumn() + "' in " + spec.path() + " holds " + labelType.simpleString()
                    + ", not numbers: labels must be class indices 0.." + (spec.classes() - 1));
        }
        boolean hasIndex = columns.contains(spec.indexColumn());
        if (hasIndex) {
            DataType indexType = df.schema().apply(spec.indexColumn()).dataType();
            if (!wholeNumbers(indexType)) {
                throw new IllegalArgumentException("index column '" + spec.indexColumn() + "' in " + spec.path() + " holds "
                        + indexType.simpleString() + ", not whole numbers: give every row a unique, non-null integer index, or drop the "
                        + "column to number rows in read order");
            }
        }
        List<String> featureColumns;
        if (spec.format().equals("csv")) {
            featureColumns = new ArrayList<>(columns);
            featureColumns.remove(spec.labelColumn());
            featureColumns.remove(spec.indexColumn());
        } else {
            if (!columns.contains(spec.featuresColumn())) {
                throw new IllegalArgumentException("data " + spec.path() + " has no features column '" + spec.featuresColumn() + "'; its columns are "
                        + columns + ". Set data.features-column.");
            }
            DataType t = df.schema().apply(spec.featuresColumn()).dataType();
            boolean array = t instanceof ArrayType a && a.elementType() instanceof NumericType;
            if (!array && !(t instanceof VectorUDT) && !(t instanceof org.apache.spark.mllib.linalg.VectorUDT)) {
                throw new IllegalArgumentException("features column '" + spec.featuresColumn() + "' in " + spec.path() + " holds "
                        + t.simpleString() + "; it must be array<float>, array<double> or an ML Vector");
            }
            featureColumns = List.of(spec.featuresColumn());
        }
        int labelAt = columns.indexOf(spec.labelColumn());
        int indexAt = hasIndex ? columns.indexOf(spec.indexColumn()) : -1;
        int[] featureAt = featureColumns.stream().mapToInt(columns::indexOf).toArray();
        boolean csv = spec.format().equals("csv");

        JavaRDD<Checked> checked = df.javaRDD().zipWithIndex().map(t -> check(t._1(), t._2(), labelAt, indexAt, featureAt, csv, spec));
        return finish(spark, spec, checked, hasIndex);
    }

    /**
     * Counts and reports bad rows, checks that the index column (when {@code indexed}) is non-null and unique, then
     * numbers the good rows 0..n-1 in their stable order and digests that numbering.
     */
    static Loaded finish(SparkSession spark, Spec spec, JavaRDD<Checked> unchecked, boolean indexed) {
        JavaRDD<Checked> checked = unchecked.persist(StorageLevel.MEMORY_AND_DISK());
        long bad;
        try {
            bad = checked.filter(c -> c.problem() != null).count();
        } catch (Exception e) { // Spark reads lazily: a corrupt file shows here, as a checked SparkException
            checked.unpersist();
            throw new IllegalArgumentException("data " + spec.path() + " could not be read as " + spec.format() + ": " + rootCause(e)
                    + ". Replace or remove the damaged file.", e);
        }
        if (indexed) requireUniqueIndex(spec, checked); // before numbering, and whatever bad-rows says
        if (bad > 0 && !spec.dropBadRows()) {
            String first = checked.filter(c -> c.problem() != null).map(Checked::problem).take(1).get(0);
            checked.unpersist();
            throw new IllegalArgumentException(bad + " bad row" + (bad == 1 ? "" : "s") + " in " + spec.path() + "; the first: " + first
                    + ". Fix the data, or set data.bad-rows = drop to skip bad rows and count them.");
        }
        JavaRDD<Checked> sorted = checked.filter(c -> c.problem() == null)
                .sortBy(Checked::order, true, Math.max(1, checked.getNumPartitions()));
        JavaRDD<Example> rows = sorted
                .zipWithIndex()
                .map(t -> new Example(Math.toIntExact(t._2()), t._1().features(), t._1().label()))
                .persist(StorageLevel.MEMORY_AND_DISK());
        // One job fills the cache, counts and digests: rows and the sorted keys line up element for element (the same
        // partitions of the same shuffle, and keys are unique, so the sort is the same both times).
        long[] sums = rows.zip(sorted.map(Checked::order))
                .map(t -> new long[] {1, digestTerm(t._1().index(), t._2()), contentTerm(t._1())})
                .fold(new long[3], (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
        long n = sums[0];
        checked.unpersist();
        if (n == 0) {
            rows.unpersist();
            throw new IllegalArgumentException("data " + spec.path() + " holds no usable rows" + (bad > 0 ? " (" + bad + " bad rows dropped)" : "")
                    + ": point data.path at a non-empty dataset");
        }
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("more than 2^31 rows are not supported in one dataset");
        return new Loaded(rows, (int) n, bad, spec.width(), spec.classes(), spec.path(), sums[1], sums[2]);
    }

    /**
     * Fails, naming the column, the first offender and the fix, when a row's index is null or a value is repeated. Runs
     * on the cached rows: one filtered count for nulls, one shuffle of the keys alone for repeats.
     */
    private static void requireUniqueIndex(Spec spec, JavaRDD<Checked> checked) {
        String fix = "Give every row a unique, non-null index, or drop the column '" + spec.indexColumn()
                + "' from the data to number rows in read order.";
        long nulls = checked.filter(Checked::indexNull).count();
        if (nulls > 0) {
            long first = checked.filter(Checked::indexNull).map(Checked::order).reduce((a, b) -> a <= b ? a : b);
            checked.unpersist();
            throw new IllegalArgumentException("index column '" + spec.indexColumn() + "' in " + spec.path() + " is null in "
                    + (nulls == 1 ? "1 row, at" : nulls + " rows; the first at") + " read position " + first + " (counting from 0). " + fix);
        }
        List<Tuple2<Long, Long>> repeated = checked.mapToPair(c -> new Tuple2<>(c.order(), 1L))
                .reduceByKey((a, b) -> a + b)
                .filter(t -> t._2() > 1)
                .take(1);
        if (!repeated.isEmpty()) {
            checked.unpersist();
            throw new IllegalArgumentException("index column '" + spec.indexColumn() + "' in " + spec.path() + " holds the value "
                    + repeated.get(0)._1() + " more than once (" + repeated.get(0)._2() + " rows), so rows cannot be numbered by it. "
                    + fix);
        }
    }

    /** One row's share of {@link Loaded#rowIndexDigest()}. */
    static long digestTerm(long index, long key) {
        return fmix64(index * 0x9E3779B97F4A7C15L ^ key);
    }

    /** One row's share of {@link Loaded#contentDigest()}: its number, label and every feature's raw bits, mixed. */
    static long contentTerm(Example e) {
        long h = fmix64(e.index() * 0x9E3779B97F4A7C15L ^ e.label());
        float[] x = e.features();
        for (int i = 0; i < x.length; i++) h = fmix64(h * 31 + (Float.floatToRawIntBits(x[i]) & 0xffffffffL) + ((long) i << 32));
        return h;
    }

    /** MurmurHash3's 64-bit finaliser: every input bit moves every output bit. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    /** Integer types, and decimals without a fraction that fit a long: the index must be a whole number. */
    private static boolean wholeNumbers(DataType t) {
        if (t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.ShortType)
                || t.equals(DataTypes.ByteType)) {
            return true;
        }
        return t instanceof DecimalType d && d.scale() == 0 && d.precision() <= 18;
    }

    /**
     * A row after checking: an example to keep (with its sort key) or a problem. {@code indexNull} marks a row whose
     * index column is null (its {@code order} is then its read position); such a row fails the job whatever
     * {@code bad-rows} says (see {@code requireUniqueIndex}).
     */
    record Checked(long order, float[] features, int label, String problem, boolean indexNull) implements Serializable {
        /** A row that failed before its values could be read: {@code problem} says why. */
        static Checked bad(long order, String problem) {
            return new Checked(order, null, 0, problem, false);
        }

        /** A row whose index is null, at this read position. */
        static Checked nullIndex(long readOrder, String indexColumn) {
            return new Checked(readOrder, null, 0, "row " + readOrder + ": the index column '" + indexColumn + "' is null", true);
        }

        /** A row whose values were read: kept if it passes every row check, else the first problem, after {@code where}. */
        static Checked of(long order, String where, double label, float[] features, Spec spec) {
            var problem = RowChecks.row(label, spec.classes(), features, spec.width());
            return problem.map(p -> bad(order, where + ": " + p)).orElseGet(() -> new Checked(order, features, (int) label, null, false));
        }
    }

    private static Checked check(Row row, long readOrder, int labelAt, int indexAt, int[] featureAt, boolean csv, Spec spec) {
        if (indexAt >= 0 && row.isNullAt(indexAt)) return Checked.nullIndex(readOrder, spec.indexColumn());
        long order = indexAt >= 0 ? ((Number) row.get(indexAt)).longValue() : readOrder;
        String where = indexAt >= 0 ? "row with " + spec.indexColumn() + " = " + order : "row " + readOrder;
        if (row.isNullAt(labelAt)) return Checked.bad(order, where + ": the label is null");
        double labelValue = ((Number) row.get(labelAt)).doubleValue();
        var badLabel = RowChecks.label(labelValue, spec.classes());
        if (badLabel.isPresent()) return Checked.bad(order, where + ": " + badLabel.get());
        float[] x;
        if (csv) {
            x = new float[featureAt.length];
            for (int i = 0; i < featureAt.length; i++) {
                Object v = row.get(featureAt[i]);
                Float f = number(v);
                if (f == null) return Checked.bad(order, where + ": feature column " + i + " holds '" + v + "', not a number");
                x[i] = f;
            }
        } else if (spec.format().equals("libsvm") && row.get(featureAt[0]) instanceof SparseVector v && v.size() != spec.width()) {
            // The reader sizes every row by the largest index in the whole file (absent features are 0): only this
            // row's own indices count.
            int[] indices = v.indices();
            if (indices.length > 0 && indices[indices.length - 1] >= spec.width()) {
                return Checked.bad(order, where + " has feature index " + (indices[indices.length - 1] + 1) + " (1-based); the model expects "
                        + spec.width() + " features");
            }
            x = new float[spec.width()];
            for (int i = 0; i < indices.length; i++) x[indices[i]] = (float) v.values()[i];
        } else {
            x = features(row.get(featureAt[0]));
            if (x == null) return Checked.bad(order, where + ": the features are null");
        }
        return Checked.of(order, where, labelValue, x, spec);
    }

    /** A CSV cell as a number; one bad cell makes Spark infer the whole column as strings, so parse those. */
    private static Float number(Object v) {
        if (v instanceof Number n) return n.floatValue();
        if (v instanceof String str) {
            try {
                return Float.parseFloat(str.strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return firstLine(t.getMessage());
    }

    private static float[] features(Object v) {
        if (v == null) return null;
        if (v instanceof scala.collection.Seq<?> seq) {
            float[] x = new float[seq.size()];
            for (int i = 0; i < x.length; i++) x[i] = seq.apply(i) == null ? Float.NaN : ((Number) seq.apply(i)).floatValue();
            return x;
        }
        if (v instanceof java.util.List<?> list) {
            float[] x = new float[list.size()];
            for (int i = 0; i < x.length; i++) x[i] = ((Number) list.get(i)).floatValue();
            return x;
        }
        if (v instanceof Vector vector) return floats(vector.toArray());
        if (v instanceof org.apache.spark.mllib.linalg.Vector vector) return floats(vector.toArray());
        throw new IllegalArgumentException("features of type " + v.getClass().getName() + " cannot be read");
    }

    private static float[] floats(double[] d) {
        float[] x = new float[d.length];
        for (int i = 0; i < d.length; i++) x[i] = (float) d[i];
        return x;
    }

    /**
     * Spark's own LibSVM reader: {@code label index:value ...} per line, indices 1-based and ascending, blank and
     * {@code #} lines skipped. The vector width is the largest index in the data; rows whose indices go past the
     * model's input are bad rows (see {@link #check}). A line Spark cannot parse fails the read, naming the line.
     */
    private static Dataset<Row> readLibSvm(SparkSession spark, String path) {
        try {
            return spark.read().format("libsvm").load(path);
        } catch (Exception e) { // the reader parses every line up front to find the width
            throw new IllegalArgumentException("data " + path + " could not be read as libsvm: " + rootCause(e)
                    + ". Each line must be 'label index:value ...' with 1-based, ascending indices; bad-rows = drop cannot skip such a "
                    + "line. Fix or remove it.", e);
        }
    }

    private static Dataset<Row> readParquet(SparkSession spark, String path) {
        try {
            return spark.read().parquet(path);
        } catch (Exception e) { // schema inference reads footers now; SparkException is checked but undeclared
            throw new IllegalArgumentException("data " + path + " could not be read as parquet: " + rootCause(e)
                    + ". Replace or remove the damaged file.", e);
        }
    }

    static String qualify(SparkSession spark, String path) {
        try {
            Path p = new Path(path);
            return FileSystem.get(p.toUri(), spark.sparkContext().hadoopConfiguration()).makeQualified(p).toString();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("data path '" + path + "' is not a usable path or URI: " + e.getMessage(), e);
        }
    }

    /** Fails naming the path and the setting that gave it when nothing is there. */
    public static void requireExists(SparkSession spark, String path, String setting) {
        try {
            Path p = new Path(path);
            FileSystem fs = FileSystem.get(p.toUri(), spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) throw new IllegalArgumentException("data path " + path + " does not exist; import data first (deploy/permafrost "
                    + "import-fashion-mnist --out DIR) or set " + setting);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot reach data path " + path + ": " + e.getMessage(), e);
        }
    }

    /** Collects rows to the driver (for held-out evaluation). */
    public static LabeledData collect(Loaded loaded) {
        List<Tuple2<Integer, Example>> all = loaded.rows().mapToPair(e -> new Tuple2<>(e.index(), e)).sortByKey().collect();
        float[] x = new float[all.size() * loaded.width()];
        int[] y = new int[all.size()];
        for (int i = 0; i < all.size(); i++) {
            System.arraycopy(all.get(i)._2().features(), 0, x, i * loaded.width(), loaded.width());
            y[i] = all.get(i)._2().label();
        }
        return new LabeledData(x, y, loaded.width(), loaded.classes());
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
