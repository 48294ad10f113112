package dev.permafrost.spark;

import dev.permafrost.testing.RawBits;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every bad input gets an error that names the problem and the fix; drop mode skips and counts. */
@Tag("slow")
class DatasetInputTest {
    private static SparkSession spark;
    @TempDir
    static Path dir;
    private static final int WIDTH = 4;

    @BeforeAll
    static void start() {
        spark = SparkSessions.start("local[2]", "permafrost-input-test");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static String parquet(String name, DataType featureType, DataType labelType, List<Row> rows) {
        StructType schema = new StructType().add("index", DataTypes.IntegerType).add("features", featureType).add("label", labelType);
        String path = dir.resolve(name).toString();
        spark.createDataFrame(rows, schema).write().parquet(path);
        return path;
    }

    /** Rows written as this many files: one file ({@code coalesce}) keeps their order, more ({@code repartition}) shuffle it. */
    private static String parquetFiles(String name, List<Row> rows, int files) {
        StructType schema = new StructType().add("index", DataTypes.IntegerType).add("features", FLOATS).add("label", DataTypes.IntegerType);
        String path = dir.resolve(name).toString();
        var df = spark.createDataFrame(rows, schema);
        (files == 1 ? df.coalesce(1) : df.repartition(files)).write().parquet(path);
        return path;
    }

    private static List<Row> good(int n) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(RowFactory.create(i, new Float[]{0.1f * i, 0.2f, 0.3f, 0.4f}, i % 3));
        return rows;
    }

    private static DatasetInput.Spec spec(String path, boolean drop) {
        return new DatasetInput.Spec(path, "parquet", "features", "label", "index", WIDTH, 3, drop);
    }

    private static String error(String path) {
        return assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark, spec(path, false))).getMessage();
    }

    private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType);

    @Test
    void goodRowsAreReadWithDenseStableIndices() {
        String p = parquet("good", FLOATS, DataTypes.IntegerType, good(10));
        DatasetInput.Loaded l = DatasetInput.read(spark, spec(p, false));
        assertEquals(10, l.count());
        var data = DatasetInput.collect(l);
        assertEquals(10, data.size());
        assertEquals(0.1f * 7, data.features()[7 * WIDTH]);
        assertEquals(7 % 3, data.labels()[7]);
    }

    @Test
    void aRepeatedIndexFailsNamingTheValueEvenWhenBadRowsAreDropped() {
        List<Row> rows = good(6);
        rows.set(4, RowFactory.create(1, new Float[]{1f, 2f, 3f, 4f}, 0)); // index 1 twice
        String p = parquet("repeated-index", FLOATS, DataTypes.IntegerType, rows);
        for (boolean drop : new boolean[]{false, true}) {
            String e = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark, spec(p, drop))).getMessage();
            assertTrue(e.startsWith("index column 'index'") && e.contains("the value 1 more than once (2 rows)"), e);
            assertTrue(e.contains("unique, non-null index") && e.contains("number rows in read order"), e);
        }
    }

    @Test
    void aNullIndexFailsNamingTheColumnAndItsReadPosition() throws Exception {
        List<Row> rows = good(5);
        rows.set(2, RowFactory.create(null, new Float[]{1f, 2f, 3f, 4f}, 0));
        String p = parquetFiles("null-index", rows, 1);
        for (boolean drop : new boolean[]{false, true}) {
            String e = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark, spec(p, drop))).getMessage();
            assertTrue(e.startsWith("index column 'index'") && e.contains("is null in 1 row, at read position 2"), e);
            assertTrue(e.contains("unique, non-null index"), e);
        }
        Path csv = dir.resolve("null-index.csv");
        Files.writeString(csv, "index,a,b,c,d,label\n0,0.1,0.2,0.3,0.4,1\n,0.5,0.6,0.7,0.8,2\n");
        var c = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark,
                new DatasetInput.Spec(csv.toString(), "csv", "features", "label", "index", WIDTH, 3, true)));
        assertTrue(c.getMessage().contains("index column 'index'") && c.getMessage().contains("read position 1"), c.getMessage());
        Path fractions = dir.resolve("fraction-index.csv");
        Files.writeString(fractions, "index,a,b,c,d,label\n0.5,0.1,0.2,0.3,0.4,1\n");
        var f = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark,
                new DatasetInput.Spec(fractions.toString(), "csv", "features", "label", "index", WIDTH, 3, false)));
        assertTrue(f.getMessage().contains("index column 'index'") && f.getMessage().contains("holds double, not whole numbers"), f.getMessage());
    }

    @Test
    void theRowIndexDigestFollowsTheRowsNotTheirFiles() {
        List<Row> rows = good(10);
        long expected = 0;
        for (int i = 0; i < 10; i++) expected += DatasetInput.digestTerm(i, i);
        String onePath = parquetFiles("digest-one-file", rows, 1);
        DatasetInput.Loaded one = DatasetInput.read(spark, spec(onePath, false));
        DatasetInput.Loaded again = DatasetInput.read(spark, spec(onePath, false));
        DatasetInput.Loaded three = DatasetInput.read(spark, spec(parquetFiles("digest-three-files", rows, 3), false));
        assertEquals(expected, one.rowIndexDigest());
        assertEquals(one.rowIndexDigest(), again.rowIndexDigest());
        assertEquals(one.rowIndexDigest(), three.rowIndexDigest());
        // The same rows under the same numbers, whichever file and partition each came from.
        assertEquals(java.util.Arrays.toString(DatasetInput.collect(one).labels()), java.util.Arrays.toString(DatasetInput.collect(three).labels()));

        List<Row> moved = good(10);
        moved.set(9, RowFactory.create(100, new Float[]{0.9f, 0.2f, 0.3f, 0.4f}, 0)); // one row's index changes: 9 -> 100
        DatasetInput.Loaded other = DatasetInput.read(spark, spec(parquetFiles("digest-moved", moved, 1), false));
        assertEquals(10, other.count());
        assertNotEquals(one.rowIndexDigest(), other.rowIndexDigest());
        DatasetInput.Loaded fewer = DatasetInput.read(spark, spec(parquetFiles("digest-fewer", good(9), 1), false));
        assertNotEquals(one.rowIndexDigest(), fewer.rowIndexDigest());
        for (DatasetInput.Loaded l : List.of(one, again, three, other, fewer)) l.rows().unpersist();
    }

    @Test
    void aMissingPathNamesItAndTheImport() {
        String e = error(dir.resolve("nowhere").toString());
        assertTrue(e.contains("does not exist") && e.contains("import-fashion-mnist"), e);
    }

    @Test
    void badRowsFailNamingTheFirstOrAreDroppedAndCounted() {
        List<Row> rows = good(6);
        rows.set(2, RowFactory.create(2, new Float[]{1f, 2f, 3f}, 0));                       // wrong width
        rows.set(3, RowFactory.create(3, new Float[]{1f, Float.NaN, 3f, 4f}, 0));           // NaN
        rows.set(4, RowFactory.create(4, new Float[]{1f, 2f, 3f, 4f}, 7));                  // label out of range
        String p = parquet("bad", FLOATS, DataTypes.IntegerType, rows);
        String e = error(p);
        assertTrue(e.startsWith("3 bad rows"), e);
        assertTrue(e.contains("data.bad-rows = drop"), e);
        DatasetInput.Loaded dropped = DatasetInput.read(spark, spec(p, true));
        assertEquals(3, dropped.count());
        assertEquals(3, dropped.dropped());
        assertEquals(List.of(0, 1, 2), dropped.rows().map(Example::index).collect().stream().sorted().toList());
    }

    @Test
    void eachKindOfBadRowIsExplained() {
        assertTrue(error(parquet("width", FLOATS, DataTypes.IntegerType, List.of(RowFactory.create(0, new Float[]{1f, 2f, 3f}, 0))))
                .contains("has 3 features; the model expects 4"));
        assertTrue(error(parquet("inf", FLOATS, DataTypes.IntegerType, List.of(RowFactory.create(0, new Float[]{1f, Float.POSITIVE_INFINITY, 3f, 4f}, 0))))
                .contains("feature 1 is Infinity"));
        assertTrue(error(parquet("range", FLOATS, DataTypes.IntegerType, List.of(RowFactory.create(0, new Float[]{1f, 2f, 3f, 4f}, 3))))
                .contains("label 3.0 is not a class index in 0..2"));
        assertTrue(error(parquet("fraction", FLOATS, DataTypes.DoubleType, List.of(RowFactory.create(0, new Float[]{1f, 2f, 3f, 4f}, 1.5))))
                .contains("label 1.5"));
    }

    @Test
    void wrongColumnsAndTypesAreExplained() {
        String text = error(parquet("textlabel", FLOATS, DataTypes.StringType, List.of(RowFactory.create(0, new Float[]{1f, 2f, 3f, 4f}, "shirt"))));
        assertTrue(text.contains("holds string, not numbers"), text);
        String feat = error(parquet("textfeat", DataTypes.StringType, DataTypes.IntegerType, List.of(RowFactory.create(0, "1,2,3,4", 0))));
        assertTrue(feat.contains("must be array<float>, array<double> or an ML Vector"), feat);
        String p = parquet("cols", FLOATS, DataTypes.IntegerType, good(2));
        var e = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark,
                new DatasetInput.Spec(p, "parquet", "pixels", "label", "index", WIDTH, 3, false)));
        assertTrue(e.getMessage().contains("no features column 'pixels'") && e.getMessage().contains("[index, features, label]"), e.getMessage());
    }

    @Test
    void emptyAndCorruptDataAreRefused() throws Exception {
        String empty = error(parquet("empty", FLOATS, DataTypes.IntegerType, List.of()));
        assertTrue(empty.contains("holds no usable rows"), empty);
        Path corrupt = Files.createDirectories(dir.resolve("corrupt"));
        Files.writeString(corrupt.resolve("part-0.parquet"), "this is not parquet");
        String c = error(corrupt.toString());
        assertTrue(c.contains("could not be read as parquet") && c.contains("is not a Parquet file") && c.contains("part-0.parquet"), c);
    }

    @Test
    void csvWithAHeaderIsReadLabelAndIndexApart() throws Exception {
        Path csv = dir.resolve("data.csv");
        Files.writeString(csv, "index,a,b,c,d,label\n0,0.1,0.2,0.3,0.4,1\n1,0.5,0.6,0.7,0.8,2\n2,x,0.6,0.7,0.8,2\n");
        var e = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark,
                new DatasetInput.Spec(csv.toString(), "csv", "features", "label", "index", WIDTH, 3, false)));
        assertTrue(e.getMessage().contains("not a number"), e.getMessage());
        DatasetInput.Loaded l = DatasetInput.read(spark, new DatasetInput.Spec(csv.toString(), "csv", "features", "label", "index", WIDTH, 3, true));
        assertEquals(2, l.count());
        assertEquals(0.5f, DatasetInput.collect(l).features()[WIDTH]);
    }

    @Test
    void libSvmLinesAreReadSparseAndCheckedLikeEveryOtherSource() throws Exception {
        Path f = dir.resolve("data.libsvm");
        Files.writeString(f, "# comment\n1 1:0.5 4:2\n0 2:1.5\n\n2 3:0.25 4:1\n");
        DatasetInput.Loaded l = DatasetInput.read(spark, new DatasetInput.Spec(f.toString(), "libsvm", "features", "label", "index", WIDTH, 3, false));
        var d = DatasetInput.collect(l);
        assertEquals(3, d.size());
        assertEquals(List.of(1, 0, 2), java.util.Arrays.stream(d.labels()).boxed().toList());
        assertEquals(0.5f, d.features()[0]);
        assertEquals(2f, d.features()[3]);
        assertEquals(1.5f, d.features()[WIDTH + 1]);
        // An index past the model's input is a bad row of its own (the reader sizes rows by the file's largest index).
        Path wide = dir.resolve("wide.libsvm");
        Files.writeString(wide, "1 1:0.5 9:2\n0 3:1\n2 2:1 4:1\n");
        var e = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark,
                new DatasetInput.Spec(wide.toString(), "libsvm", "features", "label", "index", WIDTH, 3, false)));
        assertTrue(e.getMessage().startsWith("1 bad row") && e.getMessage().contains("row 0 has feature index 9 (1-based); the model "
                + "expects 4 features"), e.getMessage());
        var kept = DatasetInput.collect(DatasetInput.read(spark,
                new DatasetInput.Spec(wide.toString(), "libsvm", "features", "label", "index", WIDTH, 3, true)));
        assertEquals(List.of(0, 2), java.util.Arrays.stream(kept.labels()).boxed().toList());
        assertEquals(1f, kept.features()[2]);
        // A line Spark's reader cannot parse fails the read, quoting the line.
        Path bad = dir.resolve("bad.libsvm");
        Files.writeString(bad, "1 1:0.5\n0 3:1 2:1\n");
        var unparsable = assertThrows(IllegalArgumentException.class, () -> DatasetInput.read(spark,
                new DatasetInput.Spec(bad.toString(), "libsvm", "features", "label", "index", WIDTH, 3, true)));
        assertTrue(unparsable.getMessage().contains("could not be read as libsvm") && unparsable.getMessage().contains("0 3:1 2:1")
                && unparsable.getMessage().contains("ascending"), unparsable.getMessage());
    }

    @Test
    void denseAndSparseMlVectorColumnsReadAsTheSameFloatsAsAnArrayColumn() {
        List<Row> arrays = new ArrayList<>();
        List<Row> dense = new ArrayList<>();
        List<Row> sparse = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double[] v = {i % 4 == 0 ? 0 : 0.1 * i, 0, i % 2 == 0 ? 1.0 / 3 : 0, 0.7};
            Float[] f = new Float[v.length];
            for (int j = 0; j < v.length; j++) f[j] = (float) v[j];
            arrays.add(RowFactory.create(i, f, i % 3));
            dense.add(RowFactory.create(i, Vectors.dense(v), i % 3));
            sparse.add(RowFactory.create(i, Vectors.dense(v).toSparse(), i % 3));
        }
        var expected = DatasetInput.collect(DatasetInput.read(spark, spec(parquet("arrays", FLOATS, DataTypes.IntegerType, arrays), false)));
        for (var rows : List.of(dense, sparse)) {
            String p = parquet(rows == dense ? "dense" : "sparse", new VectorUDT(), DataTypes.IntegerType, rows);
            Object stored = spark.read().parquet(p).first().get(1);
            assertEquals(rows == dense ? DenseVector.class : SparseVector.class, stored.getClass());
            var read = DatasetInput.collect(DatasetInput.read(spark, spec(p, false)));
            assertArrayEquals(RawBits.of(expected.features()), RawBits.of(read.features()));
            assertArrayEquals(expected.labels(), read.labels());
        }
    }
}
