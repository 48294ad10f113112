package dev.permafrost.train;

import dev.permafrost.network.ModelFailure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The GPUs ND4J's CUDA backend can run, and the check a task makes of its GPU before it builds a network. The backend
 * (nd4j-cuda-11.6 1.0.0-M2.1) ships machine code for sm_37 to sm_86 and no PTX: a device runs it when its compute
 * capability is 3.7 or above and its major version is at most 8 (machine code for X.Y runs on X.Z with Z >= Y), so
 * 8.9 (Ada) runs and 9.0 (Hopper: H100, H200) and later do not. A kernel the device cannot load would fail deep inside
 * the first operation; this names the device instead, before any work.
 */
public final class GpuCapability {
    /** A compute capability, major.minor. */
    public record Capability(int major, int minor) {
        static Capability parse(String text) {
            String[] parts = text.strip().split("\\.");
            if (parts.length != 2) throw new IllegalArgumentException("'" + text + "' is not a compute capability like 8.6");
            try {
                return new Capability(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a compute capability like 8.6", e);
            }
        }

        boolean below(Capability o) {
            return major < o.major || (major == o.major && minor < o.minor);
        }

        @Override
        public String toString() {
            return major + "." + minor;
        }
    }

    /** One GPU as the device query reports it. */
    public record Device(String index, String name, Capability capability) {
    }

    /** Reads a GPU's name and compute capability by the address Spark assigned. */
    public interface Query {
        Device device(String address) throws IOException;
    }

    static final Capability OLDEST = new Capability(3, 7);
    static final int NEWEST_MAJOR = 8;
    public static final String SUPPORTED = "compute capability 3.7 to 8.x (machine code for sm_37 to sm_86, which also runs on later "
            + "minor versions of the same major such as 8.9; no PTX, so not 9.0 (Hopper: H100, H200) or later)";

    private GpuCapability() {
    }

    public static boolean runs(Capability c) {
        return !c.below(OLDEST) && c.major() <= NEWEST_MAJOR;
    }

    /**
     * Fails with a {@link ModelFailure} (the same on every try: the job stops, exit 2, instead of resubmitting) when the
     * device cannot run the backend's kernels, naming the device, its capability, the supported range and the CPU
     * fallback.
     */
    public static void require(Device d) {
        if (runs(d.capability())) return;
        throw new ModelFailure("GPU " + d.index() + " (" + d.name() + ") has compute capability " + d.capability() + ", and ND4J's CUDA "
                + "backend (nd4j-cuda-11.6 1.0.0-M2.1, the newest on Maven Central) runs " + SUPPORTED + ". Run on the CPU instead: the "
                + "default build (lib/, no PERMAFROST_LIB=lib-cuda) without --gpu, or on executors with a supported GPU");
    }

    /** {@code nvidia-smi --query-gpu=index,name,compute_cap} (drivers from 510 on), found on the PATH. */
    public static Query nvidiaSmi() {
        return nvidiaSmi("nvidia-smi");
    }

    /** The same through {@code command} (a stand-in in tests). */
    static Query nvidiaSmi(String command) {
        return address -> {
            Process p = new ProcessBuilder(command, "--query-gpu=index,name,compute_cap", "--format=csv,noheader", "-i", address.strip())
                    .redirectErrorStream(true).start();
            String out;
            try {
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("nvidia-smi did not answer within 30 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for nvidia-smi", e);
            }
            if (p.exitValue() != 0) throw new IOException("nvidia-smi exited with " + p.exitValue() + ": " + out);
            return parse(out);
        };
    }

    /** One line of {@code index, name, compute_cap}. */
    static Device parse(String line) throws IOException {
        List<String> fields = List.of(line.strip().split("\\s*,\\s*"));
        if (fields.size() != 3) throw new IOException("nvidia-smi printed '" + line + "', not 'index, name, compute_cap'");
        try {
            return new Device(fields.get(0), fields.get(1), Capability.parse(fields.get(2)));
        } catch (IllegalArgumentException e) {
            throw new IOException("nvidia-smi printed '" + line + "': " + e.getMessage(), e);
        }
    }
}
