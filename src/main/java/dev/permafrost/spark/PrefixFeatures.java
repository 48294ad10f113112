package dev.permafrost.spark;

import dev.permafrost.network.FrozenPrefix;
import dev.permafrost.network.ModelFailure;
import dev.permafrost.network.Network;
import dev.permafrost.network.NonFiniteOutputs;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.Shard;
import dev.permafrost.train.WorkerDevice;
import dev.permafrost.train.WorkerModel;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The task that computes a frozen prefix's outputs for one partition of rows, once per freeze phase. It builds the
 * phase's network from the broadcast, checks that every frozen shard of the prefix has its canonical fingerprint
 * before using it, and runs the prefix in inference mode over chunks of rows. The rows keep their index and label.
 */
final class PrefixFeatures implements FlatMapFunction<Iterator<Example>, Example> {
    private final Broadcast<byte[]> model;
    /** Rows per forward pass: the per-worker batch, so BLAS picks the kernel every training step picks (see EpochPlan). */
    private final int chunkRows;
    private final FrozenPrefix prefix;
    private final Map<Integer, Long> canonical;

    PrefixFeatures(Broadcast<byte[]> model, FrozenPrefix prefix, Map<Integer, Long> canonical, int chunkRows) {
        this.model = model;
        this.chunkRows = chunkRows;
        this.prefix = prefix;
        this.canonical = Map.copyOf(canonical);
    }

    @Override
    public Iterator<Example> call(Iterator<Example> rows) {
        // On the GPU Spark assigned this task, as the gradient tasks do (their reports carry the device and any warning).
        WorkerDevice.bindInThisJvm(WorkerTask.gpuAddresses(org.apache.spark.TaskContext.get()));
        WorkerModel wm = WorkerModel.decode(model.value());
        Network network = wm.build();
        requireCanonical(network, wm);
        FrozenPrefix.Featurizer featurizer = prefix.featurizer(network);
        List<Example> out = new ArrayList<>();
        List<Example> chunk = new ArrayList<>(chunkRows);
        while (rows.hasNext()) {
            chunk.add(rows.next());
            if (chunk.size() == chunkRows || !rows.hasNext()) {
                featurize(network, featurizer, chunk, out);
                chunk.clear();
            }
        }
        return out.iterator();
    }

    /** One forward pass of exactly {@code chunkRows} rows: a short last chunk is padded with its own rows, whose outputs are dropped. */
    private void featurize(Network network, FrozenPrefix.Featurizer featurizer, List<Example> chunk, List<Example> out) {
        int width = chunk.get(0).features().length;
        float[] x = new float[chunkRows * width];
        for (int i = 0; i < chunkRows; i++) System.arraycopy(chunk.get(i % chunk.size()).features(), 0, x, i * width, width);
        INDArray rows = Nd4j.create(x, new long[]{chunkRows, width}, 'c');
        INDArray features = featurizer.features(rows);
        if (!NonFiniteOutputs.finite(features)) {
            String origin = NonFiniteOutputs.find(network.model(), rows).map(NonFiniteOutputs.Origin::describe)
                    .orElse("the frozen part's output at " + prefix.boundary() + " is not finite");
            throw new ModelFailure("the frozen part's outputs are not finite for the rows from index " + chunk.get(0).index() + ": " + origin
                    + ". Frozen weights cannot recover, so training would only spread it: check the model's weights (a diverged or "
                    + "badly initialised model; its BatchNorm statistics) and the scale of the input features");
        }
        for (int i = 0; i < chunk.size(); i++) {
            Example e = chunk.get(i);
            out.add(new Example(e.index(), features.getRow(i).dup().data().asFloat(), e.label()));
        }
    }

    /** The prefix's frozen copies on this executor must be the canonical ones before they compute anything. */
    private void requireCanonical(Network network, WorkerModel wm) {
        var view = network.paramsView();
        for (Shard s : wm.layout().frozen()) {
            if (s.start() >= prefix.paramOffset()) continue;
            long fingerprint = Fingerprint.of(view, s.start(), s.length());
            Long expected = canonical.get(s.index());
            if (expected == null || expected != fingerprint) {
                throw new FrozenCopyMismatchException("frozen " + s.describe() + " differs on " + WorkerTask.executorName()
                        + " before computing the prefix's outputs: fingerprint " + Fingerprint.hex(fingerprint) + ", canonical "
                        + (expected == null ? "none" : Fingerprint.hex(expected)));
            }
        }
    }
}
