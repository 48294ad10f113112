package dev.permafrost.train;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/**
 * The device a worker computed its gradients on, and why: the GPU address Spark assigned its task (empty when none)
 * and the warning to print when that assignment could not be honoured.
 *
 * @param device     "cpu", or "cuda:N" for ND4J's CUDA device N
 * @param gpuAddress the address Spark's resource scheduling gave the task ({@code TaskContext.resources()}), or ""
 * @param cudaDevice the CUDA device to bind ND4J to, or -1 for none
 * @param warning    why the task runs elsewhere than asked, or ""
 */
public record WorkerDevice(String device, String gpuAddress, int cudaDevice, String warning) implements Serializable {

    /**
     * The device for a task Spark assigned {@code gpuAddresses} in this JVM, bound for the calling thread: ND4J binds
     * devices per thread, and networks are built and run on the task's thread.
     */
    public static WorkerDevice bindInThisJvm(List<String> gpuAddresses) {
        boolean cuda = org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName().contains("JCublas");
        int devices = cuda ? org.nd4j.linalg.factory.Nd4j.getAffinityManager().getNumberOfDevices() : 0;
        WorkerDevice d = checked(choose(gpuAddresses, cuda, devices), GpuCapability.nvidiaSmi());
        if (d.cudaDevice() >= 0) org.nd4j.linalg.factory.Nd4j.getAffinityManager().unsafeSetDevice(d.cudaDevice());
        return d;
    }

    /**
     * The chosen device once its compute capability is known to run the backend's kernels: a device that cannot stops
     * the job (see {@link GpuCapability#require}); one whose capability cannot be read is used with a warning.
     */
    public static WorkerDevice checked(WorkerDevice d, GpuCapability.Query query) {
        if (d.cudaDevice() < 0) return d;
        String address = d.gpuAddress().isEmpty() ? Integer.toString(d.cudaDevice()) : d.gpuAddress();
        GpuCapability.Device device;
        try {
            device = query.device(address);
        } catch (IOException e) {
            String unread = "the compute capability of GPU " + address + " could not be read (" + e.getMessage() + "); ND4J's CUDA backend "
                    + "runs " + GpuCapability.SUPPORTED;
            return new WorkerDevice(d.device(), d.gpuAddress(), d.cudaDevice(), d.warning().isEmpty() ? unread : d.warning() + "; " + unread);
        }
        GpuCapability.require(device);
        return d;
    }

    /**
     * Decides the device from what Spark assigned the task and what ND4J can do in this JVM: a GPU address with the
     * CUDA backend binds that device; a GPU address without it runs on the CPU with a warning (the CPU build); no address runs on the CPU backend quietly, or on the CUDA backend's default device
     * with a warning (nothing keeps two tasks off one GPU then).
     */
    public static WorkerDevice choose(List<String> gpuAddresses, boolean cudaBackend, int cudaDevices) {
        if (gpuAddresses.isEmpty()) {
            if (!cudaBackend) return new WorkerDevice("cpu", "", -1, "");
            return new WorkerDevice("cuda:0", "", 0, "no GPU was assigned to the task (set spark.executor.resource.gpu.amount and "
                    + "spark.task.resource.gpu.amount, as conf/spark-gpu.conf does); it ran on CUDA device 0, which other tasks may share");
        }
        String address = gpuAddresses.get(0);
        if (!cudaBackend) {
            return new WorkerDevice("cpu", address, -1, "Spark assigned GPU " + address + " but this executor runs ND4J's CPU backend (a build "
                    + "without -Pcuda); it ran on the CPU");
        }
        int device;
        try {
            device = Integer.parseInt(address.strip());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("Spark assigned GPU address '" + address + "', not a CUDA device number: the GPU discovery "
                    + "script must print device indices (deploy/gpu/discover-gpus.sh does)");
        }
        if (device < 0 || device >= cudaDevices) {
            throw new IllegalStateException("Spark assigned GPU " + device + " but ND4J sees " + cudaDevices + " CUDA device"
                    + (cudaDevices == 1 ? "" : "s") + " (0.." + (cudaDevices - 1) + "): the discovery script and CUDA_VISIBLE_DEVICES disagree");
        }
        return new WorkerDevice("cuda:" + device, address, device, "");
    }
}
