package dev.permafrost.io;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An exclusive lease on a run's output folder: {@code OUT/.permafrost.lock}, created atomically (of two runs racing, one
 * wins), holding the owner's host, pid and process start. Creating it is also the probe that the folder can be written
 * on its FileSystem. The owner touches it every {@link #HEARTBEAT}; a lock is stale when its owner is gone: on the same
 * host, its process no longer exists (a pid reused by another process has another start time); on another host, it has
 * not been touched for {@link #LEASE}. A stale lock is taken over with a message; a live one refuses the run, naming
 * the holder.
 */
public final class OutputLock implements AutoCloseable {
    public static final String NAME = ".permafrost.lock";
    static final Duration HEARTBEAT = Duration.ofSeconds(20);
    static final Duration LEASE = Duration.ofMinutes(3);

    /** Who holds a lock: what its file says. */
    public record Holder(String host, long pid, long processStartMillis, String command, String since) {
        String describe() {
            return "pid " + pid + " on " + host + " (" + command + ", since " + since + ")";
        }
    }

    private final HadoopFiles files;
    private final String path;
    private final ScheduledExecutorService heartbeat;
    /** Releases the lock when a signal ends the JVM before {@link #close}. */
    private final Thread onSignal;

    private OutputLock(HadoopFiles files, String path) {
        this.files = files;
        this.path = path;
        this.onSignal = new Thread(this::release, "permafrost output lock release");
        Runtime.getRuntime().addShutdownHook(onSignal);
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "permafrost output lock heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = HEARTBEAT.toMillis();
        heartbeat.scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the lock on {@code outDir} for {@code command}, creating the folder: refused with an
     * {@link IllegalArgumentException} naming the holder when another live run holds it, or naming the folder when it
     * cannot be written.
     */
    public static OutputLock acquire(HadoopFiles files, String outDir, String command, Consumer<String> say) {
        if (files.exists(outDir) && !files.isDirectory(outDir)) {
            throw new IllegalArgumentException("--out " + outDir + " is a file, not a folder: choose a folder for the run's outputs");
        }
        String path = outDir + "/" + NAME;
        Holder me = self(command);
        byte[] bytes = json(me).getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; attempt < 3; attempt++) {
            boolean created;
            try {
                created = files.createExclusive(path, bytes);
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException("--out " + outDir + " cannot be written (" + e.getMessage()
                        + "): choose a folder this user can create and write, or fix its permissions", e);
            }
            if (created) return new OutputLock(files, path);
            Optional<Holder> holder = read(files, path);
            long age = System.currentTimeMillis() - safeModified(files, path);
            String stale = holder.map(h -> staleness(h, age)).orElse(age > LEASE.toMillis() ? "its file is unreadable and "
                    + Duration.ofMillis(age).toSeconds() + " s old" : null);
            if (stale == null) {
                throw new IllegalArgumentException("--out " + outDir + " is in use by another run: " + holder.map(Holder::describe)
                        .orElse("its lock file is being written") + ". Wait for it to finish, stop it, or choose another --out (its lock is "
                        + path + ")");
            }
            say.accept("taking over the lock on " + outDir + " from " + holder.map(Holder::describe).orElse("an unknown run") + ": " + stale);
            files.deleteRecursively(path);
        }
        throw new IllegalArgumentException("--out " + outDir + ": another run keeps taking the lock " + path + "; choose another --out");
    }

    /** Why a lock of {@code holder}, last touched {@code ageMillis} ago, is stale; null while its owner may be alive. */
    static String staleness(Holder holder, long ageMillis) {
        if (holder.host().equals(self("").host())) {
            return switch (new LocalProcess(holder.pid(), holder.processStartMillis()).state()) {
                case GONE -> "process " + holder.pid() + " is gone";
                case PID_REUSED -> "pid " + holder.pid() + " is now another process";
                case ALIVE -> null;
            };
        }
        if (ageMillis > LEASE.toMillis()) {
            return "its lease was last renewed " + Duration.ofMillis(ageMillis).toSeconds() + " s ago (lease " + LEASE.toSeconds() + " s)";
        }
        return null;
    }

    public String path() {
        return path;
    }

    private void beat() {
        try {
            files.touch(path);
        } catch (RuntimeException e) {
            // a missed heartbeat only shortens the lease another host sees; the next one retries
        }
    }

    /** Stops the heartbeat and removes the lock file. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onSignal);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) and releases the lock itself
        }
        release();
    }

    private void release() {
        heartbeat.shutdownNow();
        try {
            files.deleteRecursively(path);
        } catch (RuntimeException e) {
            // the lock is stale once this process ends: the next run takes it over
        }
    }

    static Holder self(String command) {
        LocalProcess me = LocalProcess.current();
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "unknown-host");
        }
        return new Holder(host, me.pid(), me.startMillis(), command, Instant.now().toString());
    }

    private static String json(Holder h) {
        JsonObject o = new JsonObject();
        o.addProperty("host", h.host());
        o.addProperty("pid", h.pid());
        o.addProperty("processStartMillis", h.processStartMillis());
        o.addProperty("command", h.command());
        o.addProperty("since", h.since());
        return o + "\n";
    }

    static Optional<Holder> read(HadoopFiles files, String path) {
        try {
            JsonObject o = JsonParser.parseString(new String(files.read(path), StandardCharsets.UTF_8)).getAsJsonObject();
            return Optional.of(new Holder(o.get("host").getAsString(), o.get("pid").getAsLong(), o.get("processStartMillis").getAsLong(),
                    o.get("command").getAsString(), o.get("since").getAsString()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static long safeModified(HadoopFiles files, String path) {
        try {
            return files.modified(path);
        } catch (RuntimeException e) {
            return System.currentTimeMillis();
        }
    }
}
