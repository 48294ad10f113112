package dev.permafrost.network;

import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;

import java.util.ArrayList;
import java.util.List;

/** Shared mechanics of both network kinds over a flat parameter row vector. */
abstract class Dl4jNetwork implements Network {
    final ParamTable table;
    /** [start, end) ranges of running statistics, whose "gradient" is a per-batch update. */
    final List<long[]> statisticRanges = new ArrayList<>();

    Dl4jNetwork(ParamTable table) {
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

    static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** A model that already reshapes its input: it must reshape to the shape the job gives. */
    static Network requireSameReshape(Network network, org.deeplearning4j.nn.conf.InputPreProcessor existing,
                                      FeedForwardToCnnPreProcessor wanted) {
        if (existing instanceof FeedForwardToCnnPreProcessor p && p.getNumChannels() == wanted.getNumChannels()
                && p.getInputHeight() == wanted.getInputHeight() && p.getInputWidth() == wanted.getInputWidth()) {
            return network;
        }
        throw new IllegalArgumentException("the model already reads rows through " + existing.getClass().getSimpleName()
                + (existing instanceof FeedForwardToCnnPreProcessor p ? " as " + p.getNumChannels() + "x" + p.getInputHeight() + "x" + p.getInputWidth()
                + " (channels x height x width)" : "") + ": set model.input-shape to that shape, or leave it empty ([])");
    }
}
