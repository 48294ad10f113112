package dev.permafrost.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the team's shared folder (golden references) beside the checkout. */
public final class SharedFiles {
    private SharedFiles() {
    }

    public static Path golden(String name) {
        String dir = System.getProperty("permafrost.sharedDir", "../shared");
        Path p = Path.of(dir, "golden", name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("golden reference " + p.toAbsolutePath()
                    + " is missing: the tests expect the shared/ folder beside the checkout");
        }
        return p;
    }
}
