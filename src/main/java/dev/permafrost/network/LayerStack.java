package dev.permafrost.network;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NetworkParams;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** A MultiLayerNetwork as a {@link Network}: its configuration, without freezing wrappers, and the live network. */
final class LayerStack extends Dl4jNetwork {
    final MultiLayerConfiguration base;
    private final MultiLayerNetwork net;

    private final Head head;

    LayerStack(MultiLayerConfiguration base, MultiLayerNetwork net) {
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
        return new LayerStack(base, next);
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
        return Dl4jNetworks.of(next);
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
        return Dl4jNetworks.of(replaced);
    }
}
