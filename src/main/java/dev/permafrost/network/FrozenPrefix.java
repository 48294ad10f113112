package dev.permafrost.network;

import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The frozen layers at the bottom of a network, when their output can be computed once and kept: the first
 * {@code layers} layers are all wrapped as DL4J's {@code FrozenLayer}, so they run in inference mode and learn nothing,
 * and no randomness acts in them, so each row's output is a pure function of the row. Training the rest (the suffix)
 * on those outputs then gives the same gradients, bit for bit, as training the whole network on the rows.
 * {@code paramOffset} is where the suffix's parameters start in the flat vector: a MultiLayerNetwork lays its
 * parameters out layer by layer, so the suffix's flat vector is the whole one from there on. {@code outputWidth} is the
 * width of one row of the prefix's output, found by a trial pass on the driver.
 */
public record FrozenPrefix(int layers, int paramOffset, int firstSuffixParam, int outputWidth) implements java.io.Serializable {

    /** Whether a network and freeze phase have a prefix to compute once, and if not, why. */
    public record Decision(Optional<FrozenPrefix> prefix, String reason) {
        static Decision no(String reason) {
            return new Decision(Optional.empty(), reason);
        }
    }

    /**
     * Decides for {@code network}, as built for a freeze phase (frozen layers wrapped), its labels and the server's
     * shard layout. Not valid: a computation graph (not covered yet), no frozen bottom layer, nothing left to train,
     * a frozen layer above a trainable one, dropout or weight noise at or below the boundary, a shard across the
     * boundary.
     */
    public static Decision decide(Network network, ParamLabels labels, ShardLayout layout) {
        if (!(network.model() instanceof MultiLayerNetwork net)) {
            return Decision.no("the model is a ComputationGraph; computing a frozen prefix once covers MultiLayerNetwork models");
        }
        org.deeplearning4j.nn.api.Layer[] built = net.getLayers();
        int k = 0;
        while (k < built.length && built[k] instanceof org.deeplearning4j.nn.layers.FrozenLayer) k++;
        List<String> names = labels.table().layerNames();
        if (layout.frozen().isEmpty()) return Decision.no("nothing is frozen");
        if (k == 0) return Decision.no("no frozen prefix: the first layer (" + names.get(0) + ") trains");
        if (k == built.length) return Decision.no("every layer is frozen: nothing trains");
        for (int i = k; i < built.length; i++) {
            if (built[i] instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop) {
                return Decision.no("layer " + names.get(i) + " is frozen above trainable layer " + names.get(k)
                        + ", so the frozen layers are not a prefix");
            }
        }
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        for (int i = 0; i < k; i++) {
            Layer layer = FrozenLayers.unwrap(conf.getConf(i).getLayer());
            if (layer.getIDropout() != null) {
                return Decision.no("layer " + names.get(i) + " has dropout upstream of the boundary: its output is random");
            }
            if (layer instanceof BaseLayer b && b.getWeightNoise() != null) {
                return Decision.no("layer " + names.get(i) + " has weight noise upstream of the boundary: its output is random");
            }
        }
        int firstSuffixParam = labels.table().size();
        long offset = labels.table().totalLength();
        for (int p = 0; p < labels.table().size(); p++) {
            NamedParam param = labels.table().get(p);
            if (param.layerIndex() >= k) {
                firstSuffixParam = p;
                offset = param.offset();
                break;
            }
        }
        for (Shard s : layout.shards()) {
            if (s.start() < offset && s.end() > offset) {
                return Decision.no(s.describe() + " spans the boundary between layer " + names.get(k - 1) + " and " + names.get(k));
            }
        }
        FrozenPrefix prefix = new FrozenPrefix(k, Math.toIntExact(offset), firstSuffixParam, 0);
        if (conf.getInputPreProcess(k) != null) {
            return Decision.no("layer " + names.get(k) + " reshapes the prefix's output (" + conf.getInputPreProcess(k).getClass().getSimpleName()
                    + "); computing the prefix once covers flat outputs");
        }
        // A trial pass on the driver: a prefix whose output is not one flat row per example is not cached.
        try {
            INDArray trial = prefix.features(network, org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2,
                    network.inputs()));
            return new Decision(Optional.of(new FrozenPrefix(k, prefix.paramOffset(), firstSuffixParam, (int) trial.size(1))), "");
        } catch (RuntimeException e) {
            return Decision.no("the prefix's output is not one flat row per example (" + e.getMessage() + ")");
        }
    }

    /** The prefix's output for a batch of rows, one flat row per input row, in inference mode (as FrozenLayer runs it). */
    public INDArray features(Network network, INDArray rows) {
        MultiLayerNetwork net = (MultiLayerNetwork) network.model();
        INDArray out = net.feedForwardToLayer(layers - 1, rows, false).get(layers);
        if (out.rank() != 2) {
            throw new IllegalStateException("the frozen prefix's output has rank " + out.rank() + "; computing it once covers flat outputs");
        }
        return out;
    }

    /**
     * The layers above the prefix as a network of their own, with the given flat parameters of the whole network
     * ({@code [paramOffset, end)} are the suffix's), labelled and wrapped as the whole network is.
     */
    public Network suffix(Network network, ParamLabels labels, float[] flat) {
        MultiLayerConfiguration base = MultiLayerConfiguration.fromJson(Dl4jNetworks.configJson(network));
        List<NeuralNetConfiguration> confs = new ArrayList<>(base.getConfs().subList(layers, base.getConfs().size()));
        Map<Integer, InputPreProcessor> pre = new HashMap<>();
        for (var e : base.getInputPreProcessors().entrySet()) {
            if (e.getKey() >= layers) pre.put(e.getKey() - layers, e.getValue());
        }
        MultiLayerConfiguration conf = new MultiLayerConfiguration.Builder().confs(confs).inputPreProcessors(pre)
                .backpropType(base.getBackpropType()).tBPTTForwardLength(base.getTbpttFwdLength())
                .tBPTTBackwardLength(base.getTbpttBackLength()).dataType(base.getDataType()).build();
        conf.setTrainingWorkspaceMode(base.getTrainingWorkspaceMode());
        conf.setInferenceWorkspaceMode(base.getInferenceWorkspaceMode());
        conf.setCacheMode(base.getCacheMode());
        float[] params = java.util.Arrays.copyOfRange(flat, paramOffset, flat.length);
        Network plain = Dl4jNetworks.fromConfig(conf.toJson(), false, params);
        if (plain.params().totalLength() != params.length) {
            throw new IllegalStateException("the suffix network has " + plain.params().totalLength() + " parameters, expected " + params.length);
        }
        ParamLabels suffixLabels = new ParamLabels(plain.params(), labels.labels().subList(firstSuffixParam, labels.labels().size()));
        return plain.rebuild(suffixLabels, params);
    }
}
