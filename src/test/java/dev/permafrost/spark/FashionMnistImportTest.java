package dev.permafrost.spark;

import dev.permafrost.data.FashionMnist;
import dev.permafrost.data.LabeledData;
import dev.permafrost.testing.Fashion;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The import reads IDX slices inside its tasks: the rows it writes are the IDX file's, and no task carries pixels. */
@Tag("slow")
class FashionMnistImportTest {
    @TempDir
    Path dir;

    @Test
    void writesEveryKeptImageWithItsIndexLabelAndClassFromSmallTasks() throws Exception {
        FashionMnist.ClassRange range = FashionMnist.ClassRange.parse("5-9");
        for (var slice : FashionMnistImport.slices(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN, range)) {
            // What a task carries: its slice, serialized as Spark's closure serializer does.
            var bytes = new ByteArrayOutputStream();
            try (var out = new ObjectOutputStream(bytes)) {
                out.writeObject(slice);
            }
            assertTrue(bytes.size() < 16 * 1024, "a slice of " + bytes.size() + " bytes");
        }
        List<String> warnings = new CopyOnWriteArrayList<>();
        Logger spark = (Logger) LogManager.getLogger("org.apache.spark");
        var appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) warnings.add(event.getMessage().getFormattedMessage());
            }
        };
        appender.start();
        spark.addAppender(appender);
        SparkSession session = SparkSessions.start("local[2]", "permafrost-import-test");
        try {
            long[] counts = FashionMnistImport.write(session, FashionMnist.DEFAULT_DIR, dir.resolve("fm").toString(), range, false);
            LabeledData train = Fashion.train(range);
            LabeledData test = Fashion.test(range);
            assertEquals(train.size(), counts[0]);
            assertEquals(test.size(), counts[1]);
            assertSame(test, session.read().parquet(dir.resolve("fm/test").toString()).orderBy("index").collectAsList(), range);
            assertSame(train, session.read().parquet(dir.resolve("fm/train").toString()).orderBy("index").collectAsList(), range);
        } finally {
            session.stop();
            spark.removeAppender(appender);
        }
        assertTrue(warnings.stream().noneMatch(w -> w.contains("very large size")), warnings.toString());
    }

    /** The written rows equal {@link FashionMnist#load}'s bit for bit, in index order 0..n-1. */
    private static void assertSame(LabeledData expected, List<Row> rows, FashionMnist.ClassRange range) {
        assertEquals(expected.size(), rows.size());
        int w = expected.width();
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            assertEquals(r, row.getInt(0));
            List<Float> x = row.getList(1);
            for (int j = 0; j < w; j++) {
                int want = Float.floatToRawIntBits(expected.features()[r * w + j]);
                if (Float.floatToRawIntBits(x.get(j)) != want) throw new AssertionError("row " + r + " pixel " + j);
            }
            assertEquals(expected.labels()[r], row.getInt(2));
            assertEquals(expected.labels()[r] + range.from(), row.getInt(3));
        }
    }
}
