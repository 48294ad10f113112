package dev.permafrost.bench;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/** Keeps Spark's and DL4J's INFO lines (one per parameter-averaging split) off stderr unless a config was given. */
final class Logging {
    private Logging() {
    }

    /** Call after the SparkContext starts: Spark installs its own INFO defaults when no log4j2 config was named. */
    static void quiet() {
        if (System.getProperty("log4j2.configurationFile") == null) Configurator.setRootLevel(Level.WARN);
    }
}
