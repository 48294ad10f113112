package dev.permafrost.bench;

import dev.permafrost.io.LittleEndian;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/** Starting parameters as the benchmark command hands them over: magic "PAFP", then a counted run of floats. */
final class StartingParams {
    static final int MAGIC = 0x50464150;

    private StartingParams() {
    }

    static float[] read(Path file) throws IOException {
        ByteBuffer b = LittleEndian.open(Files.readAllBytes(file), MAGIC, "a starting-parameters file (" + file + ")");
        float[] params = LittleEndian.getFloats(b);
        LittleEndian.requireEnd(b, file.toString());
        return params;
    }
}
