package dev.permafrost.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The anchor's scratch space: one temp directory for DL4J's exported minibatches and Spark's local files, deleted at the
 * end, plus DL4J's default export folder {@code ${hadoop.tmp.dir}/dl4j}, deleted only if this run created it (nothing
 * should write there, since the export directory is set, but a stray folder of serialized minibatches is never wanted).
 */
final class ScratchDirs implements AutoCloseable {
    final Path root;
    private Path defaultExport;
    private boolean defaultExportExisted = true;

    private final Thread onExit = new Thread(this::close, "anchor-scratch-cleanup");
    private final AtomicBoolean closed = new AtomicBoolean();

    ScratchDirs() throws IOException {
        root = Files.createTempDirectory("permafrost-dl4j-anchor");
        // Also when the JVM is stopped (Ctrl-C, the benchmark command giving up): the exported minibatches are large.
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /** DL4J's export directory, as a URI Hadoop's FileSystem resolves to the local disk. */
    String exportUri() {
        return root.resolve("dl4j-export").toUri().toString();
    }

    Path sparkLocal() {
        return root.resolve("spark-local");
    }

    /** Remembers whether DL4J's default export folder exists before training, given Hadoop's {@code hadoop.tmp.dir}. */
    void watchDefaultExport(String hadoopTmpDir) {
        defaultExport = Path.of(hadoopTmpDir.replaceFirst("^file:", ""), "dl4j");
        defaultExportExisted = Files.exists(defaultExport);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        if (Thread.currentThread() != onExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting anyway; the hook then finds this instance closed
            }
        }
        deleteTree(root);
        if (defaultExport != null && !defaultExportExisted && Files.exists(defaultExport)) {
            System.err.println("anchor: removing " + defaultExport + ", which DL4J created during this run");
            deleteTree(defaultExport);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }
}
