package dev.permafrost.model;

import dev.permafrost.job.JobSettings;

import dev.permafrost.job.JobSettings;
import dev.permafrost.model.ModelSpec.LayerSpec;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Convolutional job specs: shapes layer by layer, DL4J's own shapes agreeing, and every shape error named before anything is built. */
class ModelSpecTest {

    @Test
    void theCnnJobFileBuildsTheNetworkItDescribes() {
        ModelSpec spec = JobSettings.load(Optional.of(Path.of("jobs/cnn-pretrain.conf")), List.of()).modelSpec();
        assertEquals(List.of(1, 28, 28), spec.inputShape());
        List<ModelSpec.Shape> shapes = spec.outputShapes();
        assertEquals("16x28x28 (channels x height x width)", shapes.get(0).toString());
        assertEquals("16x14x14 (channels x height x width)", shapes.get(2).toString());
        assertEquals("32x7x7 (channels x height x width)", shapes.get(5).toString());
        assertEquals("128 values", shapes.get(6).toString());

        Network n = Dl4jNetworks.readingRows(Dl4jNetworks.of(spec.build(42)), List.of());
        assertEquals(784, n.inputs());
        ParamTable t = n.params();
        assertEquals(List.of(16L, 1L, 3L, 3L), t.byName("backbone.conv1.W").shape());
        assertEquals(16, t.byName("backbone.bn1.mean").length(), "BatchNorm after a convolution keeps one statistic per channel");
        assertEquals(List.of(32L, 16L, 3L, 3L), t.byName("backbone.conv2.W").shape());
        assertEquals(List.of(32L * 7 * 7, 128L), t.byName("head.fc.W").shape(), "DL4J's own shapes agree with the spec's");
    }

    @Test
    void aCommandLineOverrideSetsTheInputShape() {
        var s = JobSettings.load(Optional.empty(), List.of("model.input-shape=[1,28,28]"));
        assertEquals(List.of(1, 28, 28), s.inputShape());
    }

    @Test
    void shapeErrorsNameTheLayerWhatItGotAndWhatItNeeds() {
        String tooSmall = error(() -> new ModelSpec(784, List.of(1, 28, 28), List.of(
                LayerSpec.subsampling("p1", "max", 2, 2), LayerSpec.subsampling("p2", "max", 2, 2), LayerSpec.subsampling("p3", "max", 2, 2),
                LayerSpec.convolution("conv", 8, 5, 1, 0, "relu"), new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(tooSmall.contains("layer 'conv' (convolution, 8 channels, kernel 5x5, stride 1x1, padding 0x0) gets 1x3x3 "
                + "(channels x height x width) but its kernel 5x5 with padding 0x0 needs a height of at least 5"), tooSmall);

        String afterDense = error(() -> new ModelSpec(784, List.of(1, 28, 28), List.of(new LayerSpec("fc", "dense", 32, "relu", 0),
                LayerSpec.convolution("conv", 8, 3, 1, 1, "relu"), new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(afterDense.contains("layer 'conv'") && afterDense.contains("gets a flat vector of 32 values"), afterDense);

        String flatInput = error(() -> new ModelSpec(784, List.of(LayerSpec.convolution("conv", 8, 3, 1, 1, "relu"),
                new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(flatInput.contains("set model.input-shape (e.g. [1, 28, 28])"), flatInput);

        String product = error(() -> new ModelSpec(784, List.of(3, 28, 28), List.of(new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(product.contains("model.input-shape [3, 28, 28] holds 2352 values per row but model.inputs = 784"), product);

        String pooling = error(() -> new ModelSpec(784, List.of(1, 28, 28), List.of(LayerSpec.globalPooling("gp", "median"),
                new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(pooling.contains("pooling = 'median'; choose max or avg"), pooling);

        String type = error(() -> new ModelSpec(784, List.of(new LayerSpec("x", "lstm", 8, "relu", 0), new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(type.contains("choose one of convolution, subsampling, global-pooling, batchnorm, dropout, dense, output"), type);

        String noKernel = error(() -> new ModelSpec(784, List.of(1, 28, 28), List.of(
                new LayerSpec("conv", "convolution", 8, "relu", 0, List.of(), List.of(), List.of(), ""),
                new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(noKernel.contains("needs a kernel"), noKernel);
    }

    @Test
    void settingsALayerDoesNotUseAreRefusedRatherThanIgnored() {
        String dropout = error(() -> new ModelSpec(784, List.of(new LayerSpec("bn", "batchnorm", 0, "relu", 0.5),
                new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(dropout.contains("layer 'bn' (batchnorm): dropout applies to dense, convolution and dropout layers"), dropout);
        String width = error(() -> new ModelSpec(784, List.of(new LayerSpec("fc", "dense", 64, "relu", 0),
                new LayerSpec("bn", "batchnorm", 128, "relu", 0), new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(width.contains("gets 64 values and keeps its width 64, but says out = 128"), width);
        String kernel = error(() -> new ModelSpec(784, List.of(new LayerSpec("fc", "dense", 64, "relu", 0, List.of(3), List.of(), List.of(), ""),
                new LayerSpec("out", "output", 10, "softmax", 0))));
        assertTrue(kernel.contains("kernel, stride and padding apply to convolution and subsampling layers"), kernel);
        String fraction = assertThrows(IllegalArgumentException.class, () -> JobSettings.load(Optional.empty(),
                List.of("model.input-shape=[1,28,28]", "model.inputs=784", "model.layers=[{name=c, type=convolution, out=4, kernel=2.5},"
                        + "{name=o, type=output, out=3, activation=softmax}]")).modelSpec()).getMessage();
        assertTrue(fraction.contains("layer 'c': kernel = [2.5]: 2.5 is not a whole number"), fraction);
    }

    @Test
    void globalPoolingTurnsAnImageIntoOneValuePerChannel() {
        ModelSpec spec = new ModelSpec(784, List.of(1, 28, 28), List.of(LayerSpec.convolution("conv", 6, 3, 2, 0, "relu"),
                LayerSpec.globalPooling("gp", "avg"), new LayerSpec("out", "output", 3, "softmax", 0)));
        assertEquals("6x13x13 (channels x height x width)", spec.outputShapes().get(0).toString());
        assertEquals("6 values", spec.outputShapes().get(1).toString());
        assertEquals(List.of(6L, 3L), Dl4jNetworks.of(spec.build(1)).params().byName("out.W").shape());
    }

    private static String error(java.util.function.Supplier<ModelSpec> spec) {
        return assertThrows(IllegalArgumentException.class, spec::get).getMessage();
    }
}
