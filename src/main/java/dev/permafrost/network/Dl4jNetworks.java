package dev.permafrost.network;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.NetworkParams;
import dev.permafrost.model.ParamTable;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@link Network} over DL4J's MultiLayerNetwork and (single input, single output) ComputationGraph. */
public final class Dl4jNetworks {
    private Dl4jNetworks() {
    }

    /**
     * The network for training. Training is float32 end to end (parameter server, kernels, wire format), so a model
     * whose parameters are stored in another type is refused rather than rounded.
     *
     * @throws IllegalArgumentException if the parameters are not {@link DataType#FLOAT}
     */
    public static Network of(MultiLayerNetwork net) {
        requireFloat32(net.params());
        return new Mln(FrozenLayers.unwrapped(net.getLayerWiseConfigurations()), net);
    }

    /**
     * The network for training: a graph with one input and one output whose parameters are float32.
     *
     * @throws IllegalArgumentException if the parameters are not {@link DataType#FLOAT}, or the graph has several
     *                                  inputs or outputs
     */
    public static Network of(ComputationGraph graph) {
        requireFloat32(graph.params());
        if (graph.getConfiguration().getNetworkInputs().size() != 1 || graph.getConfiguration().getNetworkOutputs().size() != 1) {
            throw new IllegalArgumentException("only graphs with one input and one output can be trained; this one has inputs "
                    + graph.getConfiguration().getNetworkInputs() + " and outputs " + graph.getConfiguration().getNetworkOutputs());
        }
        return new Graph(FrozenLayers.unwrapped(graph.getConfiguration()), graph);
    }

    /** A network from its configuration JSON and flat parameters, taken bit for bit. */
    public static Network fromConfig(String configJson, boolean graph, float[] flat) {
        if (graph) {
            ComputationGraph g = new ComputationGraph(ComputationGraphConfiguration.fromJson(configJson));
            g.init(Base.row(flat), false);
            return of(g);
        }
        MultiLayerNetwork n = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(configJson));
        n.init(Base.row(flat), false);
        return of(n);
    }

    /** The unwrapped configuration (no freezing wrappers) as JSON. */
    public static String configJson(Network network) {
        if (network instanceof Mln m) return m.base.toJson();
        if (network instanceof Graph g) return g.base.toJson();
        throw new IllegalArgumentException("not a DL4J network: " + network);
    }

    /**
     * The network reading flat rows of {@code channels * height * width} values when {@code inputShape} =
     * [channels, height, width] is given: a model whose input layer reads images with no reshape in front of it (a
     * model built with {@code InputType.convolutional}, as DL4J's zoo builds them) gets DL4J's
     * {@link FeedForwardToCnnPreProcessor} there. That reshape passes image-shaped input through unchanged, so the
     * model still reads images as before, and no parameter changes. Then a trial pass over two zero rows on this
     * machine proves the network reads rows of {@link Network#inputs()} values, so a model that cannot fails here,
     * before any data is read, with the fix.
     */
    public static Network readingRows(Network network, java.util.List<Integer> inputShape) {
        Network n = network;
        if (!inputShape.isEmpty()) {
            if (inputShape.size() != 3) throw new IllegalArgumentException("model.input-shape = " + inputShape + "; give [channels, height, width]");
            var reshape = new FeedForwardToCnnPreProcessor(inputShape.get(1), inputShape.get(2), inputShape.get(0));
            n = network instanceof Mln m ? m.withInputReshape(reshape) : ((Graph) network).withInputReshape(reshape);
        }
        int width;
        try {
            width = n.inputs();
            n.output(Nd4j.zeros(DataType.FLOAT, 2, width));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the model cannot read flat rows" + (inputShape.isEmpty() ? "" : " of " + inputShape + " images")
                    + " (" + firstLine(e) + "). " + (inputShape.isEmpty()
                    ? "If it reads images, set model.input-shape = [channels, height, width], e.g. [1, 28, 28]."
                    : "Check model.input-shape against the shape the model was built for."), e);
        }
        return n;
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    public static boolean isGraph(Network network) {
        return network instanceof Graph;
    }

    /**
     * Loads a DL4J ModelSerializer zip holding either kind of network, for training: a model whose parameters are not
     * float32 is refused (see {@link #of(MultiLayerNetwork)}) with a message naming the file. To read any model's
     * parameters exactly as stored, without training it, use {@link StoredParams#load(Path)}.
     */
    public static Network load(Path file) {
        Model model = restore(file);
        try {
            return model instanceof ComputationGraph g ? of(g) : of((MultiLayerNetwork) model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The MultiLayerNetwork or ComputationGraph in a ModelSerializer zip, parameters in the type they were saved in.
     */
    static Model restore(Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("model file " + file + " is a directory: pass the model zip itself (a Permafrost run's model.zip is inside its --out folder)");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model file " + file + " does not exist: pass a DL4J model zip written by ModelSerializer or a Permafrost run");
        }
        try {
            try {
                return ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
            } catch (Exception notMln) {
                return ModelSerializer.restoreComputationGraph(file.toFile(), false);
            }
        } catch (Exception e) {
            throw new IllegalArgumentException("model file " + file + " is not a DL4J model (MultiLayerNetwork or ComputationGraph zip): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Refuses parameters that are not float32: converting them for training would round frozen weights, which then
     * would no longer be the weights the user froze.
     */
    private static void requireFloat32(INDArray params) {
        // No parameters yet (init() not called): NetworkParams names that problem.
        if (params == null || params.dataType() == DataType.FLOAT) return;
        throw new IllegalArgumentException("the model's parameters are stored as " + params.dataType()
                + ", but Permafrost trains float32 (FLOAT) models only, so that frozen weights are never rounded. "
                + "Build the model with .dataType(DataType.FLOAT) in NeuralNetConfiguration.Builder, or convert it in DL4J with "
                + "net.convertDataType(DataType.FLOAT) and save it again (the conversion rounds every weight to float32, "
                + "so convert once and use the converted model as the baseline you verify against)");
    }

    public static void save(Network network, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".partial");
        try {
            // Saved without freezing wrappers: a plain DL4J model anyone can load; freeze labels are Permafrost's own data.
            ModelSerializer.writeModel(fromConfig(configJson(network), isGraph(network), network.paramsCopy()).model(), tmp.toFile(), false);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A model that already reshapes its input: it must reshape to the shape the job gives. */
    private static Network requireSameReshape(Network network, org.deeplearning4j.nn.conf.InputPreProcessor existing,
                                              FeedForwardToCnnPreProcessor wanted) {
        if (existing instanceof FeedForwardToCnnPreProcessor p && p.getNumChannels() == wanted.getNumChannels()
                && p.getInputHeight() == wanted.getInputHeight() && p.getInputWidth() == wanted.getInputWidth()) {
            return network;
        }
        throw new IllegalArgumentException("the model already reads rows through " + existing.getClass().getSimpleName()
                + (existing instanceof FeedForwardToCnnPreProcessor p ? " as " + p.getNumChannels() + "x" + p.getInputHeight() + "x" + p.getInputWidth()
                + " (channels x height x width)" : "") + ": set model.input-shape to that shape, or leave it empty ([])");
    }

    /** Shared mechanics of both network kinds over a flat parameter row vector. */
    private abstract static class Base implements Network {
        final ParamTable table;
        /** [start, end) ranges of running statistics, whose "gradient" is a per-batch update. */
        final List<long[]> statisticRanges = new ArrayList<>();

        Base(ParamTable table) {
            this.table = table;
            for (NamedParam p : table.params()) {
                if (p.kind().isStatistic()) statisticRanges.add(new long[]{p.offset(), p.end()});
            }
        }

        abstract INDArray flatParams();

        abstract INDArray flatGradient();

        abstract double computeScore(DataSet batch);

        @Override
        public ParamTable params() {
            return table;
        }

        @Override
        public float[] paramsCopy() {
            return heapCopy(flatParams());
        }

        @Override
        public java.nio.FloatBuffer paramsView() {
            INDArray a = flatParams();
            if (a.offset() == 0 && a.data().length() == a.length()) return a.data().asNioFloat().asReadOnlyBuffer();
            return java.nio.FloatBuffer.wrap(heapCopy(a)).asReadOnlyBuffer();
        }

        /**
         * The array's values on the heap, with one copy: DL4J's flat views own their buffers outright, so the buffer
         * can be read directly; anything else (a view with an offset) is duplicated first. Float32 only: a network is
         * admitted only with float32 parameters, and any other type would be rounded here.
         */
        static float[] heapCopy(INDArray a) {
            if (a.dataType() != DataType.FLOAT) {
                throw new IllegalStateException("expected float32 (FLOAT) values, found " + a.dataType()
                        + ": reading them as float32 would round them");
            }
            if (a.offset() == 0 && a.data().length() == a.length()) return a.data().asFloat();
            return a.dup().data().asFloat();
        }

        @Override
        public void writeRange(int offset, float[] source, int from, int length) {
            writeRange(offset, java.nio.FloatBuffer.wrap(source, from, length), length);
        }

        @Override
        public void writeRange(int offset, java.nio.FloatBuffer source, int length) {
            INDArray a = flatParams();
            if (offset < 0 || length < 0 || offset + (long) length > a.length()) {
                throw new IllegalArgumentException("range [" + offset + ", " + (offset + (long) length) + ") is outside the "
                        + a.length() + " parameters");
            }
            if (a.offset() == 0 && a.data().length() == a.length() && a.dataType() == DataType.FLOAT) {
                // The parameters' own memory: one copy from the source, none through ND4J temporaries.
                java.nio.FloatBuffer target = a.data().asNioFloat();
                target.position(offset);
                target.put(source.slice(source.position(), length));
                source.position(source.position() + length);
                return;
            }
            float[] values = new float[length];
            source.get(values);
            INDArray target = a.reshape(a.length()).get(NDArrayIndex.interval(offset, offset + length));
            target.assign(Nd4j.createFromArray(values));
        }

        @Override
        public Gradients gradient(DataSet batch) {
            int n = (int) batch.getFeatures().size(0);
            double score;
            try {
                score = computeScore(batch);
            } catch (RuntimeException e) {
                // DL4J refusing a shape or a configuration: the same batch shape fails the same way on every try. Memory
                // and device failures are not the model's: they propagate as they are and the epoch may be retried.
                if (ModelFailure.refusal(e)) {
                    throw new ModelFailure("DL4J cannot compute this model's gradient under its freeze plan: " + firstLine(e)
                            + " (it fails the same way on every try; check the model, model.input-shape and the freeze patterns)", e);
                }
                throw e;
            }
            if (!Double.isFinite(score)) {
                // Found where it arises: a frozen part that outputs NaN or infinity is the model's fault, not the learning rate's.
                var origin = NonFiniteOutputs.find(model(), batch.getFeatures());
                if (origin.isPresent() && origin.get().frozen()) {
                    throw new ModelFailure("the loss is " + score + " because " + origin.get().describe() + " for this batch: frozen weights "
                            + "cannot recover, so training would only spread it; check the model's weights (a diverged or badly initialised "
                            + "model, its BatchNorm statistics) and the scale of the input features");
                }
            }
            INDArray g = flatGradient();
            java.nio.FloatBuffer view = g.offset() == 0 && g.data().length() == g.length() && g.dataType() == DataType.FLOAT
                    ? g.data().asNioFloat().asReadOnlyBuffer()
                    : java.nio.FloatBuffer.wrap(heapCopy(g));
            return new Gradients(view, n, score * n, statisticRanges);
        }

        static INDArray row(float[] flat) {
            return Nd4j.createFromArray(flat).reshape(1, flat.length).castTo(DataType.FLOAT);
        }
    }

    private static final class Mln extends Base {
        private final MultiLayerConfiguration base;
        private final MultiLayerNetwork net;

        private final Head head;

        Mln(MultiLayerConfiguration base, MultiLayerNetwork net) {
            super(NetworkParams.of(net));
            this.base = base;
            this.net = net;
            this.head = Head.of(net, base);
        }

        @Override
        INDArray flatParams() {
            return net.params();
        }

        @Override
        INDArray flatGradient() {
            return net.gradient().gradient();
        }

        @Override
        double computeScore(DataSet batch) {
            net.setInput(batch.getFeatures());
            net.setLabels(batch.getLabels());
            net.computeGradientAndScore();
            return net.score();
        }

        @Override
        public INDArray output(INDArray features) {
            return net.output(features, false);
        }

        @Override
        public Network rebuild(ParamLabels labels, float[] flat) {
            MultiLayerNetwork next = new MultiLayerNetwork(FrozenLayers.apply(base, labels));
            next.init(row(flat), false);
            return new Mln(base, next);
        }

        @Override
        public Model model() {
            return net;
        }

        @Override
        public int outputs() {
            return Math.toIntExact(head.classes());
        }

        @Override
        public Head head() {
            return head;
        }

        @Override
        public int inputs() {
            if (base.getInputPreProcess(0) instanceof FeedForwardToCnnPreProcessor p) {
                return Math.toIntExact(p.getInputHeight() * p.getInputWidth() * p.getNumChannels());
            }
            return (int) net.layerInputSize(0);
        }

        /** The same network with this reshape in front of its first layer, unless one is there. */
        Network withInputReshape(FeedForwardToCnnPreProcessor reshape) {
            if (base.getInputPreProcess(0) != null) return requireSameReshape(this, base.getInputPreProcess(0), reshape);
            MultiLayerConfiguration c = base.clone();
            c.getInputPreProcessors().put(0, reshape);
            MultiLayerNetwork next = new MultiLayerNetwork(c);
            next.init(row(paramsCopy()), false);
            return of(next);
        }

        @Override
        public Network replaceHead(int classes, long seed) {
            MultiLayerNetwork plain = new MultiLayerNetwork(base.clone());
            plain.init(row(paramsCopy()), false);
            // The new head's weights come from ND4J's global generator: seed it, or two runs start differently.
            Nd4j.getRandom().setSeed(seed);
            head.requireReplaceable();
            MultiLayerNetwork replaced = new TransferLearning.Builder(plain)
                    .fineTuneConfiguration(new FineTuneConfiguration.Builder().seed(seed).build())
                    .nOutReplace(head.index(), classes, WeightInit.XAVIER).build();
            return of(replaced);
        }
    }

    private static final class Graph extends Base {
        private final ComputationGraphConfiguration base;
        private final ComputationGraph graph;

        private final Head head;

        Graph(ComputationGraphConfiguration base, ComputationGraph graph) {
            super(NetworkParams.of(graph));
            this.base = base;
            this.graph = graph;
            this.head = Head.of(graph, base);
        }

        @Override
        INDArray flatParams() {
            return graph.params();
        }

        @Override
        INDArray flatGradient() {
            return graph.gradient().gradient();
        }

        @Override
        double computeScore(DataSet batch) {
            graph.setInputs(batch.getFeatures());
            graph.setLabels(batch.getLabels());
            graph.computeGradientAndScore();
            return graph.score();
        }

        @Override
        public INDArray output(INDArray features) {
            return graph.outputSingle(false, features);
        }

        @Override
        public Network rebuild(ParamLabels labels, float[] flat) {
            ComputationGraph next = new ComputationGraph(FrozenLayers.apply(base, labels, table.layerNames()));
            next.init(row(flat), false);
            return new Graph(base, next);
        }

        @Override
        public Model model() {
            return graph;
        }

        @Override
        public int outputs() {
            return Math.toIntExact(head.classes());
        }

        @Override
        public Head head() {
            return head;
        }

        @Override
        public int inputs() {
            for (String reader : inputReaders(base)) {
                if (reshapeOf(base.getVertices().get(reader)) instanceof FeedForwardToCnnPreProcessor p) {
                    return Math.toIntExact(p.getInputHeight() * p.getInputWidth() * p.getNumChannels());
                }
                if (graph.getLayer(reader) != null) return (int) graph.layerInputSize(reader);
            }
            throw new IllegalStateException("no layer reads the graph input " + base.getNetworkInputs().get(0));
        }

        /** The vertices that read the network's input directly. */
        private static List<String> inputReaders(ComputationGraphConfiguration conf) {
            String input = conf.getNetworkInputs().get(0);
            List<String> out = new ArrayList<>();
            for (var e : conf.getVertexInputs().entrySet()) if (e.getValue().contains(input)) out.add(e.getKey());
            return out;
        }

        /** A vertex's reshape of what it reads: a layer's input preprocessor or a preprocessor vertex's; null if none. */
        private static org.deeplearning4j.nn.conf.InputPreProcessor reshapeOf(org.deeplearning4j.nn.conf.graph.GraphVertex v) {
            if (v instanceof LayerVertex lv) return lv.getPreProcessor();
            if (v instanceof org.deeplearning4j.nn.conf.graph.PreprocessorVertex pv) return pv.getPreProcessor();
            return null;
        }

        /**
         * The same graph with this reshape in front of every layer that reads the input: readers that already reshape
         * must reshape to the same shape, the others get it.
         */
        Network withInputReshape(FeedForwardToCnnPreProcessor reshape) {
            ComputationGraphConfiguration c = base.clone();
            boolean added = false;
            for (String reader : inputReaders(c)) {
                var v = c.getVertices().get(reader);
                if (reshapeOf(v) != null) {
                    requireSameReshape(this, reshapeOf(v), reshape);
                } else if (v instanceof LayerVertex lv) {
                    lv.setPreProcessor(reshape.clone());
                    added = true;
                } else {
                    throw new IllegalArgumentException("vertex '" + reader + "' reads the graph input directly and is not a layer, so the "
                            + "flat rows cannot be reshaped for it: give the graph a first layer that reads the input");
                }
            }
            if (!added) return this;
            ComputationGraph next = new ComputationGraph(c);
            next.init(row(paramsCopy()), false);
            return of(next);
        }

        @Override
        public Network replaceHead(int classes, long seed) {
            ComputationGraph plain = new ComputationGraph(base.clone());
            plain.init(row(paramsCopy()), false);
            Nd4j.getRandom().setSeed(seed);
            head.requireReplaceable();
            ComputationGraph replaced = new TransferLearning.GraphBuilder(plain)
                    .fineTuneConfiguration(new FineTuneConfiguration.Builder().seed(seed).build())
                    .nOutReplace(head.layer(), classes, WeightInit.XAVIER).build();
            return of(replaced);
        }
    }
}
