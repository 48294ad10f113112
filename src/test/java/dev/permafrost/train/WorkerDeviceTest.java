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
}
