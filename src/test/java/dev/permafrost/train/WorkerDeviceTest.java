package dev.permafrost.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device a task computes on, from the GPU addresses Spark assigned it and the ND4J backend of its JVM. */
class WorkerDeviceTest {
    @Test
    void anAssignedGpuIsBoundWithTheCudaBackend() {
        WorkerDevice d = WorkerDevice.choose(List.of("1"), true, 2);
        assertEquals(new WorkerDevice("cuda:1", "1", 1, ""), d);
    }

    @Test
    void withoutTheCudaBackendAnAssignedGpuFallsBackToTheCpuWithAWarning() {
        WorkerDevice d = WorkerDevice.choose(List.of("0"), false, 0);
        assertEquals("cpu", d.device());
        assertEquals("0", d.gpuAddress());
        assertEquals(-1, d.cudaDevice());
        assertTrue(d.warning().contains("Spark assigned GPU 0 but this executor runs ND4J's CPU backend"), d.warning());
    }

    @Test
    void noGpuAssignedRunsOnTheCpuQuietlyOrWarnsOnTheCudaBackend() {
        assertEquals(new WorkerDevice("cpu", "", -1, ""), WorkerDevice.choose(List.of(), false, 0));
        WorkerDevice cuda = WorkerDevice.choose(List.of(), true, 4);
        assertEquals("cuda:0", cuda.device());
        assertTrue(cuda.warning().contains("spark.task.resource.gpu.amount"), cuda.warning());
    }

    @Test
    void anAddressTheBackendCannotSeeIsRefusedNamingBoth() {
        var e = assertThrows(IllegalStateException.class, () -> WorkerDevice.choose(List.of("3"), true, 2));
        assertTrue(e.getMessage().contains("Spark assigned GPU 3 but ND4J sees 2 CUDA devices (0..1)"), e.getMessage());
        var name = assertThrows(IllegalStateException.class, () -> WorkerDevice.choose(List.of("GPU-7f3a"), true, 2));
        assertTrue(name.getMessage().contains("'GPU-7f3a', not a CUDA device number"), name.getMessage());
    }

    @Test
    void thisJvmRunsTheCpuBackendSoBindingIsTheCpuFallback() {
        WorkerDevice d = WorkerDevice.bindInThisJvm(List.of("0"));
        assertEquals("cpu", d.device(), "the default build has ND4J's CPU backend only");
        assertTrue(!d.warning().isEmpty());
        assertEquals(new WorkerDevice("cpu", "", -1, ""), WorkerDevice.bindInThisJvm(List.of()));
    }

    /** A stand-in nvidia-smi: prints what a real one prints for the device asked with -i, and checks the query. */
    private static java.nio.file.Path standInNvidiaSmi(java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Path script = dir.resolve("nvidia-smi");
        java.nio.file.Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "[ \"$1\" = --query-gpu=index,name,compute_cap ] && [ \"$2\" = --format=csv,noheader ] && [ \"$3\" = -i ] || { echo bad query >&2; exit 6; }",
                "case \"$4\" in",
                "  0) echo '0, NVIDIA H100 80GB HBM3, 9.0' ;;",
                "  1) echo '1, NVIDIA GeForce RTX 4090, 8.9' ;;",
                "  2) echo '2, Tesla K40m, 3.5' ;;",
                "  3) echo '3, NVIDIA A100-SXM4-40GB, 8.0' ;;",
                "  *) echo 'No devices were found'; exit 6 ;;",
                "esac", ""));
        script.toFile().setExecutable(true);
        return script;
    }

    @Test
    void aGpuTheCudaBackendCannotRunStopsTheJobNamingItsCapabilityTheRangeAndTheCpuFallback(@org.junit.jupiter.api.io.TempDir
                                                                                            java.nio.file.Path dir) throws Exception {
        GpuCapability.Query query = GpuCapability.nvidiaSmi(standInNvidiaSmi(dir).toString());
        var hopper = assertThrows(dev.permafrost.network.ModelFailure.class, () -> WorkerDevice.checked(WorkerDevice.choose(List.of("0"), true, 4), query));
        assertTrue(hopper.getMessage().contains("GPU 0 (NVIDIA H100 80GB HBM3) has compute capability 9.0")
                && hopper.getMessage().contains("3.7 to 8.x") && hopper.getMessage().contains("not 9.0 (Hopper")
                && hopper.getMessage().contains("default build (lib/") && hopper.getMessage().contains("without --gpu"), hopper.getMessage());
        var kepler = assertThrows(dev.permafrost.network.ModelFailure.class, () -> WorkerDevice.checked(WorkerDevice.choose(List.of("2"), true, 4), query));
        assertTrue(kepler.getMessage().contains("Tesla K40m) has compute capability 3.5"), kepler.getMessage());
        // Ada (8.9) runs sm_86 machine code; Ampere (8.0) its own.
        assertEquals(new WorkerDevice("cuda:1", "1", 1, ""), WorkerDevice.checked(WorkerDevice.choose(List.of("1"), true, 4), query));
        assertEquals(new WorkerDevice("cuda:3", "3", 3, ""), WorkerDevice.checked(WorkerDevice.choose(List.of("3"), true, 4), query));
        // A capability that cannot be read: the device is used, with a warning that says what runs.
        WorkerDevice unread = WorkerDevice.checked(new WorkerDevice("cuda:3", "7", 3, ""), query);
        assertTrue(unread.warning().contains("could not be read") && unread.warning().contains("No devices were found"), unread.warning());
        // The CPU needs no query at all.
        assertEquals(new WorkerDevice("cpu", "0", -1, WorkerDevice.choose(List.of("0"), false, 0).warning()),
                WorkerDevice.checked(WorkerDevice.choose(List.of("0"), false, 0), address -> { throw new AssertionError("not asked"); }));
    }

    @Test
    void theSupportedRangeFollowsCudasBinaryCompatibility() {
        assertTrue(GpuCapability.runs(new GpuCapability.Capability(3, 7)));
        assertTrue(GpuCapability.runs(new GpuCapability.Capability(5, 3)));
        assertTrue(GpuCapability.runs(new GpuCapability.Capability(8, 9)));
        assertTrue(!GpuCapability.runs(new GpuCapability.Capability(3, 5)));
        assertTrue(!GpuCapability.runs(new GpuCapability.Capability(9, 0)));
        assertTrue(!GpuCapability.runs(new GpuCapability.Capability(12, 0)));
    }
}
