package dev.permafrost.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The PyTorch reference trajectories the kernel tests replay: test resources under {@code golden/}, part of the clone. */
public final class GoldenFiles {
    private GoldenFiles() {
    }

    public static Path golden(String name) {
        URL url = GoldenFiles.class.getResource("/golden/" + name);
        if (url == null) throw new IllegalStateException("golden reference " + name + " is missing from src/test/resources/golden");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
