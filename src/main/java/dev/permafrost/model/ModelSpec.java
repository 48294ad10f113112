package dev.permafrost.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A network described in a job file: named layers (so freeze patterns read naturally, e.g. {@code backbone.*} and
 * {@code head.*}) over rows of {@code inputs} values. With {@code inputShape} = [channels, height, width] the rows are
 * images in channels-first order, and convolution, subsampling and global pooling layers may come first; the data files
 * stay flat either way. The last layer must be the output layer. Every shape is checked when the spec is made, so a
 * layer that cannot take what the layer below it gives fails before any data is read.
 */
public record ModelSpec(int inputs, List<Integer> inputShape, List<LayerSpec> layers) {

    /** Layer types a job file can name, in the order the error message lists them. */
    public static final List<String> TYPES = List.of("convolution", "subsampling", "global-pooling", "batchnorm", "dropout", "dense", "output");

    /**
     * One layer. {@code out}: units (dense, output) or channels (convolution). {@code kernel}, {@code stride} and
     * {@code padding} are [height, width] for convolution and subsampling; {@code pooling} is max or avg for subsampling
     * and global pooling. {@code dropout} is the probability of dropping a unit (of the layer's input for dense and
     * convolution layers, as DL4J applies it).
     */
    public record LayerSpec(String name, String type, int out, String activation, double dropout, List<Integer> kernel,
                            List<Integer> stride, List<Integer> padding, String pooling) {
        /** One number means [n, n]; an unset stride is 1 for convolution and the kernel for subsampling, padding 0. */
        public LayerSpec {
            kernel = square(kernel);
            stride = stride.isEmpty() && type.equals("subsampling") ? kernel : square(stride.isEmpty() && type.equals("convolution") ? List.of(1) : stride);
            padding = square(padding.isEmpty() && (type.equals("convolution") || type.equals("subsampling")) ? List.of(0) : padding);
            java.util.Objects.requireNonNull(pooling, "pooling: give defaultPooling(type) when the job sets none");
        }

        /** The pooling a layer of {@code type} has when the job sets none: max for (global) pooling layers, else none (""). */
        public static String defaultPooling(String type) {
            return type.equals("subsampling") || type.equals("global-pooling") ? "max" : "";
        }

        private static List<Integer> square(List<Integer> v) {
            return v.size() == 1 ? List.of(v.get(0), v.get(0)) : List.copyOf(v);
        }

        /** A dense, batchnorm, dropout or output layer. */
        public LayerSpec(String name, String type, int out, String activation, double dropout) {
            this(name, type, out, activation, dropout, List.of(), List.of(), List.of(), defaultPooling(type));
        }

        public static LayerSpec convolution(String name, int channels, int kernel, int stride, int padding, String activation) {
            return new LayerSpec(name, "convolution", channels, activation, 0, List.of(kernel, kernel), List.of(stride, stride),
                    List.of(padding, padding), "");
        }

        public static LayerSpec subsampling(String name, String pooling, int kernel, int stride) {
            return new LayerSpec(name, "subsampling", 0, "identity", 0, List.of(kernel, kernel), List.of(stride, stride),
                    List.of(0, 0), pooling);
        }

        public static LayerSpec globalPooling(String name, String pooling) {
            return new LayerSpec(name, "global-pooling", 0, "identity", 0, List.of(), List.of(), List.of(), pooling);
        }

        String describe() {
            return switch (type) {
                case "convolution" -> String.format(Locale.ROOT, "convolution, %d channels, kernel %s, stride %s, padding %s", out,
                        hw(kernel), hw(stride), hw(padding));
                case "subsampling" -> String.format(Locale.ROOT, "%s subsampling, kernel %s, stride %s, padding %s", pooling,
                        hw(kernel), hw(stride), hw(padding));
                case "global-pooling" -> pooling + " global pooling";
                default -> type;
            };
        }
    }

    /** What flows between two layers: a flat vector of {@code size} values, or an image when {@code channels > 0}. */
    public record Shape(int channels, int height, int width, int size) {
        static Shape flat(int size) {
            return new Shape(0, 0, 0, size);
        }

        static Shape image(int channels, int height, int width) {
            return new Shape(channels, height, width, channels * height * width);
        }

        public boolean isImage() {
            return channels > 0;
        }

        @Override
        public String toString() {
            return isImage() ? channels + "x" + height + "x" + width + " (channels x height x width)" : size + " values";
        }
    }

    public ModelSpec {
        layers = List.copyOf(layers);
        inputShape = List.copyOf(inputShape);
        if (!inputShape.isEmpty()) {
            if (inputShape.size() != 3 || inputShape.stream().anyMatch(v -> v < 1)) {
                throw new IllegalArgumentException("model.input-shape = " + inputShape + "; give [channels, height, width], each >= 1, "
                        + "e.g. [1, 28, 28] for Fashion-MNIST, or [] for flat rows");
            }
            long product = (long) inputShape.get(0) * inputShape.get(1) * inputShape.get(2);
            if (product != inputs) {
                throw new IllegalArgumentException("model.input-shape " + inputShape + " holds " + product + " values per row but model.inputs = "
                        + inputs + ": set model.inputs = " + product + " (rows are read as channels x height x width, channels first)");
            }
        }
        if (inputs < 1) throw new IllegalArgumentException("model.inputs must be >= 1, got " + inputs);
        if (layers.isEmpty() || !layers.get(layers.size() - 1).type().equals("output")) {
            throw new IllegalArgumentException("model.layers must end with a layer of type 'output'");
        }
        shapes(inputs, inputShape, layers); // every shape error here, before anything is built
    }

    /** Flat rows of {@code inputs} values. */
    public ModelSpec(int inputs, List<LayerSpec> layers) {
        this(inputs, List.of(), layers);
    }

    /** The demo network for Fashion-MNIST with {@code classes} outputs. */
    public static ModelSpec fashion(int classes) {
        return new ModelSpec(784, List.of(
                new LayerSpec(FashionMlp.FC1, "dense", 256, "identity", 0),
                new LayerSpec(FashionMlp.BN, "batchnorm", 256, "relu", 0),
                new LayerSpec(FashionMlp.FC2, "dense", 128, "relu", 0),
                new LayerSpec(FashionMlp.HEAD, "output", classes, "softmax", 0)));
    }

    public int classes() {
        return layers.get(layers.size() - 1).out();
    }

    /** The shape each layer puts out, in layer order. */
    public List<Shape> outputShapes() {
        return shapes(inputs, inputShape, layers);
    }

    public MultiLayerNetwork build(long seed) {
        return build(seed, new NoOp());
    }

    /** With DL4J's own updater, for comparing against plain DL4J training; Permafrost's jobs use {@link #build(long)}. */
    public MultiLayerNetwork build(long seed, org.nd4j.linalg.learning.config.IUpdater updater) {
        var list = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).weightInit(WeightInit.RELU)
                .updater(updater).list();
        // Input sizes (nIn, BatchNorm's channels) come from the input type, as DL4J infers them layer by layer; it also
        // adds the reshapes between flat rows, images and dense layers.
        for (LayerSpec l : layers) list.layer(layer(l));
        InputType input = inputShape.isEmpty() ? InputType.feedForward(inputs)
                : InputType.convolutionalFlat(inputShape.get(1), inputShape.get(2), inputShape.get(0));
        MultiLayerNetwork net = new MultiLayerNetwork(list.setInputType(input).build());
        net.init();
        return net;
    }

    private static Layer layer(LayerSpec l) {
        Activation act = activation(l);
        return switch (l.type()) {
            case "dense" -> new DenseLayer.Builder().name(l.name()).nOut(l.out()).activation(act).dropOut(keep(l)).build();
            case "batchnorm" -> new BatchNormalization.Builder().name(l.name()).activation(act).build();
            case "dropout" -> new DropoutLayer.Builder(keep(l)).name(l.name()).build();
            case "convolution" -> new ConvolutionLayer.Builder(ints(l.kernel())).stride(ints(l.stride())).padding(ints(l.padding()))
                    .name(l.name()).nOut(l.out()).activation(act).dropOut(keep(l)).build();
            case "subsampling" -> new SubsamplingLayer.Builder(pooling(l)).kernelSize(ints(l.kernel())).stride(ints(l.stride()))
                    .padding(ints(l.padding())).name(l.name()).build();
            case "global-pooling" -> new GlobalPoolingLayer.Builder(pooling(l)).name(l.name()).build();
            case "output" -> new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name(l.name()).nOut(l.out())
                    .weightInit(WeightInit.XAVIER).activation(act).build();
            default -> throw new IllegalStateException("unchecked layer type " + l.type());
        };
    }

    /**
     * Walks the layers from the input, checking each against what it receives: the error names the layer, the shape it
     * got and what it needs.
     */
    private static List<Shape> shapes(int inputs, List<Integer> inputShape, List<LayerSpec> layers) {
        Shape in = inputShape.isEmpty() ? Shape.flat(inputs) : Shape.image(inputShape.get(0), inputShape.get(1), inputShape.get(2));
        List<Shape> out = new java.util.ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < layers.size(); i++) {
            LayerSpec l = layers.get(i);
            String where = "layer '" + l.name() + "' (" + l.describe() + ")";
            if (!names.add(l.name())) throw new IllegalArgumentException("two layers are named '" + l.name() + "': give each a name of its own");
            if (!TYPES.contains(l.type())) {
                throw new IllegalArgumentException("layer '" + l.name() + "' has type '" + l.type() + "'; choose one of " + String.join(", ", TYPES));
            }
            if (l.type().equals("output") && i != layers.size() - 1) {
                throw new IllegalArgumentException(where + " is not the last layer: only the last layer may be of type output");
            }
            activation(l);
            keep(l);
            requireApplies(where, l);
            in = switch (l.type()) {
                case "dense", "output" -> {
                    int min = l.type().equals("output") ? 2 : 1;
                    if (l.out() < min) throw new IllegalArgumentException(where + " needs out >= " + min + (min == 2 ? " classes" : " units"));
                    yield Shape.flat(l.out());
                }
                case "batchnorm" -> {
                    int width = in.isImage() ? in.channels() : in.size();
                    if (l.out() != 0 && l.out() != width) {
                        throw new IllegalArgumentException(where + " gets " + in + " and keeps " + (in.isImage() ? "its " + width + " channels"
                                : "its width " + width) + ", but says out = " + l.out() + ": set out = " + width + " or remove it");
                    }
                    yield in;
                }
                case "dropout" -> in;
                case "global-pooling" -> {
                    requireImage(where, in, "global pooling reduces an image to one value per channel");
                    pooling(l);
                    yield Shape.flat(in.channels());
                }
                case "convolution", "subsampling" -> {
                    requireImage(where, in, "it slides a kernel over height and width");
                    if (l.type().equals("convolution") && l.out() < 1) throw new IllegalArgumentException(where + " needs out >= 1 channels");
                    if (l.type().equals("subsampling")) pooling(l);
                    int[] k = pair(where, "kernel", l.kernel(), 1);
                    int[] s = pair(where, "stride", l.stride(), 1);
                    int[] p = pair(where, "padding", l.padding(), 0);
                    if (in.height() + 2 * p[0] < k[0] || in.width() + 2 * p[1] < k[1]) {
                        throw new IllegalArgumentException(where + " gets " + in + " but its kernel " + k[0] + "x" + k[1] + " with padding "
                                + p[0] + "x" + p[1] + " needs a height of at least " + (k[0] - 2 * p[0]) + " and a width of at least "
                                + (k[1] - 2 * p[1]) + ": use a smaller kernel, more padding, or fewer subsampling layers below it");
                    }
                    // DL4J's default convolution mode (Truncate): positions that do not fit are left out.
                    int h = (in.height() + 2 * p[0] - k[0]) / s[0] + 1;
                    int w = (in.width() + 2 * p[1] - k[1]) / s[1] + 1;
                    yield Shape.image(l.type().equals("convolution") ? l.out() : in.channels(), h, w);
                }
                default -> throw new IllegalStateException(l.type());
            };
            out.add(in);
        }
        return out;
    }

    /** A setting the layer's type does not use is refused rather than silently ignored. */
    private static void requireApplies(String where, LayerSpec l) {
        boolean sliding = l.type().equals("convolution") || l.type().equals("subsampling");
        if (l.dropout() != 0 && !List.of("dense", "convolution", "dropout").contains(l.type())) {
            throw new IllegalArgumentException(where + ": dropout applies to dense, convolution and dropout layers; remove it, or put a "
                    + "dropout layer below this one");
        }
        if (!l.activation().equalsIgnoreCase("identity") && List.of("subsampling", "global-pooling", "dropout").contains(l.type())) {
            throw new IllegalArgumentException(where + ": activation applies to dense, convolution, batchnorm and output layers; remove it");
        }
        if (!sliding && !(l.kernel().isEmpty() && l.stride().isEmpty() && l.padding().isEmpty())) {
            throw new IllegalArgumentException(where + ": kernel, stride and padding apply to convolution and subsampling layers; remove them");
        }
        if (!l.pooling().isEmpty() && !List.of("subsampling", "global-pooling").contains(l.type())) {
            throw new IllegalArgumentException(where + ": pooling applies to subsampling and global-pooling layers; remove it");
        }
        if (l.out() != 0 && List.of("subsampling", "global-pooling", "dropout").contains(l.type())) {
            throw new IllegalArgumentException(where + ": out applies to dense, convolution and output layers (the others keep the "
                    + "width or channels they get); remove it");
        }
    }

    private static void requireImage(String where, Shape in, String why) {
        if (in.isImage()) return;
        throw new IllegalArgumentException(where + " needs an image [channels, height, width] (" + why + ") but gets a flat vector of "
                + in.size() + " values: set model.input-shape (e.g. [1, 28, 28]) and put image layers before the first dense or "
                + "global-pooling layer");
    }

    /** [height, width] from a job's list: one value for both, or two. */
    private static int[] pair(String where, String key, List<Integer> values, int min) {
        if (values.isEmpty()) throw new IllegalArgumentException(where + " needs a " + key + ": one number or [height, width], e.g. " + key + " = 3");
        if (values.size() != 2 || values.get(0) < min || values.get(1) < min) {
            throw new IllegalArgumentException(where + ": " + key + " = " + values + "; give one number or [height, width], each >= " + min);
        }
        return new int[]{values.get(0), values.get(1)};
    }

    private static int[] ints(List<Integer> values) {
        return new int[]{values.get(0), values.get(1)};
    }

    private static PoolingType pooling(LayerSpec l) {
        return switch (l.pooling().toLowerCase(Locale.ROOT)) {
            case "max" -> PoolingType.MAX;
            case "avg" -> PoolingType.AVG;
            default -> throw new IllegalArgumentException("layer '" + l.name() + "' has pooling = '" + l.pooling() + "'; choose max or avg");
        };
    }

    /** DL4J's dropOut takes the probability of keeping a unit; job files say the probability of dropping it. */
    private static double keep(LayerSpec l) {
        if (l.dropout() < 0 || l.dropout() >= 1) throw new IllegalArgumentException("layer '" + l.name() + "': dropout must be in [0, 1)");
        if (l.type().equals("dropout") && l.dropout() == 0) {
            throw new IllegalArgumentException("layer '" + l.name() + "' is a dropout layer with dropout = 0: give the probability of dropping a unit, e.g. dropout = 0.25");
        }
        return l.dropout() == 0 ? 0 : 1 - l.dropout();
    }

    private static Activation activation(LayerSpec l) {
        try {
            return Activation.valueOf(l.activation().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer '" + l.name() + "' has activation '" + l.activation() + "'; choose one of "
                    + Arrays.stream(Activation.values()).map(a -> a.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    private static String hw(List<Integer> v) {
        if (v.isEmpty()) return "default";
        return v.size() == 1 ? v.get(0) + "x" + v.get(0) : v.get(0) + "x" + v.get(1);
    }
}
