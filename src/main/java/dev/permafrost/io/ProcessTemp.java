package dev.permafrost.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Local temporary files of this process, in one folder of the system temp folder named for the process
 * ({@code permafrost-tmp-<pid>-<start millis>}), so that what a killed process left behind can be told from what a live
 * one is using, and removed at the next start ({@link #removeLeftovers}).
 */
public final class ProcessTemp {
    private static final Pattern DIR = Pattern.compile("permafrost-tmp-(\\d+)-(\\d+)");
    /** Temporary files of earlier versions, which wrote straight into the system temp folder. */
    private static final Pattern LOOSE = Pattern.compile("permafrost-(ckpt|model).*\\.(zip|partial)");
    private static final Duration LOOSE_AGE = Duration.ofHours(1);
    private static Path dir;

    private ProcessTemp() {
    }

    /** A new empty file in this process's temp folder. */
    public static Path file(String prefix, String suffix) {
        try {
            return Files.createTempFile(dir(), prefix, suffix);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file in " + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
        }
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            LocalProcess me = LocalProcess.current();
            dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "permafrost-tmp-" + me.pid() + "-" + me.startMillis()));
            dir.toFile().deleteOnExit();
        }
        return dir;
    }

    /**
     * Removes the temp folders of processes that are gone (a folder whose pid now belongs to a process started at
     * another time is gone too), and loose files of earlier versions older than an hour. Returns what was removed.
     */
    public static List<Path> removeLeftovers() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> entries = Files.list(tmp)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                Matcher m = DIR.matcher(name);
                boolean deadDir = m.matches() && new LocalProcess(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))).state() != LocalProcess.State.ALIVE;
                boolean oldLoose = LOOSE.matcher(name).matches() && Files.isRegularFile(p)
                        && Files.getLastModifiedTime(p).toInstant().isBefore(Instant.now().minus(LOOSE_AGE));
                if ((deadDir || oldLoose) && deleteTree(p)) removed.add(p);
            }
        } catch (IOException e) {
            // the temp folder cannot be listed: nothing of ours can be removed there, and nothing depends on it
        }
        return removed;
    }

    private static boolean deleteTree(Path p) {
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
            return true;
        } catch (IOException e) {
            return false; // another user's, or in use: left alone
        }
    }
}
