package dev.permafrost.train;

/**
 * Whether the JVM is shutting down (a SIGINT or SIGTERM, or System.exit elsewhere): Spark's own shutdown hook then stops
 * the context under running jobs, and their failure must not be taken for a lost executor and resubmitted.
 */
public final class JvmShutdown {
    private JvmShutdown() {
    }

    public static boolean inProgress() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException shuttingDown) {
            return true;
        }
    }
}
