package dev.permafrost.bench;

import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.optim.OptimizerKernel;
import dev.permafrost.optim.ShardState;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One optimizer step over {@code size} float32 elements, single-threaded: Permafrost's Adam and AdamW kernels
 * (plain Java loops with torch.optim's rounding) against ND4J's native Adam updater op, the one DL4J training uses.
 * Run with {@code java -cp ... org.openjdk.jmh.Main AdamKernelBench} (deploy/permafrost benchmark does, with
 * OMP_NUM_THREADS=1).
 *
 * <p>Optimizer state starts afresh each measurement iteration, so step counts stay in a training run's range: the
 * kernels' host-side bias corrections (exact powers) cost more, slowly, as the step count grows. ND4J's op writes the
 * update over the gradient and leaves subtracting it from the parameters to the caller, so it streams one array less
 * per element than Permafrost's step, which updates the parameters itself.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
// The module openings Spark's launcher uses on Java 17 (as deploy/permafrost passes them), for ND4J's native memory
// handling; a fixed heap that holds the 10M-element case (four 40 MB arrays plus state).
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+IgnoreUnrecognizedVMOptions",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
        "--add-opens=java.base/sun.security.action=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED"})
public class AdamKernelBench {
    static final double LR = 1e-3;

    /** Parameters and gradient for Permafrost's kernels; subclasses pick the optimizer. */
    @State(Scope.Thread)
    public abstract static class KernelInput {
        @Param({"1000", "10000", "100000", "1000000", "10000000"})
        public int size;
        float[] params;
        float[] grad;
        OptimizerKernel kernel;
        ShardState state;

        abstract OptimizerConfig.Adam config();

        @Setup(Level.Trial)
        public void arrays() {
            params = normal(size, 1, 5e-2f);
            grad = normal(size, 2, 1e-2f);
            kernel = config().kernel();
        }

        @Setup(Level.Iteration)
        public void freshState() {
            state = kernel.newState(size);
        }
    }

    @State(Scope.Thread)
    public static class AdamInput extends KernelInput {
        @Override
        OptimizerConfig.Adam config() {
            return OptimizerConfig.Adam.adam(LR);
        }
    }

    @State(Scope.Thread)
    public static class AdamWInput extends KernelInput {
        @Override
        OptimizerConfig.Adam config() {
            return OptimizerConfig.Adam.adamW(LR, 1e-2);
        }
    }

    /** ND4J's Adam over a [1, size] gradient, its m and v in one [1, 2*size] state view as DL4J lays them out. */
    @State(Scope.Thread)
    public static class Nd4jInput {
        @Param({"1000", "10000", "100000", "1000000", "10000000"})
        public int size;
        INDArray initialGradient;
        INDArray gradient;
        INDArray stateView;
        AdamUpdater updater;
        int iteration;

        @Setup(Level.Trial)
        public void arrays() {
            oneNativeThread();
            initialGradient = Nd4j.createFromArray(normal(size, 2, 1e-2f)).reshape(1, size);
            gradient = initialGradient.dup();
            stateView = Nd4j.zeros(DataType.FLOAT, 1, 2L * size);
            updater = new AdamUpdater(new Adam(LR));
            updater.setStateViewArray(stateView, new long[]{1, size}, 'c', true);
        }

        /**
         * The op overwrites the gradient with the update, which is then the next call's gradient: its magnitude stays
         * near the learning rate, so no denormals; each iteration restarts from the same gradient and zero state.
         */
        @Setup(Level.Iteration)
        public void freshState() {
            gradient.assign(initialGradient);
            stateView.assign(0);
            iteration = 0;
        }
    }

    @Benchmark
    public float[] permafrostAdam(AdamInput in) {
        in.kernel.step(in.params, 0, in.grad, 0, in.size, in.state);
        return in.params;
    }

    @Benchmark
    public float[] permafrostAdamW(AdamWInput in) {
        in.kernel.step(in.params, 0, in.grad, 0, in.size, in.state);
        return in.params;
    }

    @Benchmark
    public INDArray nd4jAdam(Nd4jInput in) {
        in.updater.applyUpdater(in.gradient, in.iteration++, 0);
        return in.gradient;
    }

    /**
     * ND4J on one thread, like the Java kernels: libnd4j's own thread pool (maxThreads, maxMasterThreads) and the BLAS
     * library's; OMP_NUM_THREADS=1 in the environment covers OpenMP, which cannot be changed from inside the JVM.
     */
    static void oneNativeThread() {
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        Nd4j.factory().blas().setMaxThreads(1);
    }

    /** Normal(0, 1) * scale with a fixed seed: realistic magnitudes, no zeros or denormals on the hot path. */
    static float[] normal(int size, long seed, float scale) {
        Random rng = new Random(seed);
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = (float) rng.nextGaussian() * scale;
        return v;
    }
}
