package dev.permafrost.ps;

import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.shard.TrainableLayout;
import dev.permafrost.shard.UpdateRule;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The parameter-server core: holds the trainable shards' values and the state of their transforms, and the frozen
 * shards' canonical values and fingerprints. A step sums the workers' pushes in worker order, averages by the total
 * sample count and applies each trainable shard's transform, chosen by its update rule; frozen shards have no
 * transform and no state, so no code path writes them. Relabelling at a freeze transition drops the state of newly
 * frozen shards and gives newly trainable ones fresh state (step 0).
 */
public final class ParameterServer {

    /** What one step did. */
    public record StepReport(long version, long samples, double meanLoss, long sumNanos, long optimizerNanos) {
    }

    /** What a relabelling changed. */
    public record Transition(List<Shard> newlyFrozen, List<Shard> newlyTrainable) {
        public static final Transition NONE = new Transition(List.of(), List.of());

        public Transition {
            newlyFrozen = List.copyOf(newlyFrozen);
            newlyTrainable = List.copyOf(newlyTrainable);
        }

        public boolean changed() {
            return !newlyFrozen.isEmpty() || !newlyTrainable.isEmpty();
        }
    }

    private final OptimizerConfig optimizer;
    private final Map<UpdateRule, ShardTransform> transforms;
    private ShardLayout layout;
    private TrainableLayout trainableLayout;
    private final Map<Integer, TrainableShard> trainable = new TreeMap<>();
    /** Every trainable value, packed in trainable-layout order: each trainable shard is a view of its range. */
    private float[] packed;
    private final Map<Integer, FrozenShard> frozen = new TreeMap<>();
    private long version;
    /** The double sums and float means of one step, kept between steps: the step path allocates no buffer of the model's size. */
    private double[] sums = new double[0];
    private float[] mean = new float[0];

    /** A server at version 0 with fresh optimizer state. */
    public ParameterServer(ShardLayout layout, float[] initialFlat, OptimizerConfig optimizer) {
        this(layout, initialFlat, optimizer, 0);
        trainableLayout.walk((s, at) -> {
            System.arraycopy(initialFlat, s.start(), packed, at, s.length());
            ShardTransform t = transform(s);
            trainable.put(s.index(), new TrainableShard(s, packed, at, t, t.init(s.length())));
        });
    }

    /**
     * Restores a server from a checkpoint: values, version and the optimizer state of every optimizer shard. A state
     * for a frozen shard or a running statistic, or a missing one, is an error.
     */
    public static ParameterServer restore(ShardLayout layout, float[] flat, OptimizerConfig optimizer, long version,
                                          Map<Integer, ShardState> states) {
        ParameterServer server = new ParameterServer(layout, flat, optimizer, version);
        for (Shard s : layout.frozen()) {
            if (states.containsKey(s.index())) {
                throw new IllegalArgumentException("saved optimizer state for frozen " + s.describe() + ": frozen shards have none");
            }
        }
        server.trainableLayout.walk((s, at) -> {
            System.arraycopy(flat, s.start(), server.packed, at, s.length());
            Optional<ShardState> state = Optional.ofNullable(states.get(s.index())).map(ShardState::copy);
            server.trainable.put(s.index(), new TrainableShard(s, server.packed, at, server.transform(s), state));
        });
        return server;
    }

    /** Frozen shards and the common fields; the constructors above add the trainable shards. */
    private ParameterServer(ShardLayout layout, float[] initialFlat, OptimizerConfig optimizer, long version) {
        if (initialFlat.length != layout.totalLength()) {
            throw new IllegalArgumentException("initial parameters have " + initialFlat.length + " elements, the layout "
                    + layout.totalLength());
        }
        this.optimizer = optimizer;
        this.transforms = ShardTransform.byRule(optimizer.kernel());
        this.layout = layout;
        this.trainableLayout = TrainableLayout.of(layout);
        this.packed = new float[trainableLayout.elements()];
        this.version = version;
        for (Shard s : layout.frozen()) frozen.put(s.index(), new FrozenShard(s, slice(initialFlat, s)));
    }

    private static float[] slice(float[] flat, Shard s) {
        return Arrays.copyOfRange(flat, s.start(), s.end());
    }

    /** The transform of a trainable shard's rule; a rule with none (frozen) fails loudly, as optax's init does. */
    private ShardTransform transform(Shard s) {
        ShardTransform t = transforms.get(s.rule());
        if (t == null) throw new IllegalStateException(s.describe() + " has rule " + s.rule() + ", which has no transform");
        return t;
    }

    public synchronized ShardLayout layout() {
        return layout;
    }

    /** The trainable shards in layout order: the shape of every push and of {@link #trainableValues()}. */
    public synchronized TrainableLayout trainableLayout() {
        return trainableLayout;
    }

    public OptimizerConfig optimizer() {
        return optimizer;
    }

    public synchronized long version() {
        return version;
    }

    /**
     * Applies one step from all workers' pushes. Pushes are summed in ascending worker order whatever order they
     * arrive in, so the result is deterministic.
     */
    public synchronized StepReport step(List<WorkerPush> pushes) {
        if (pushes.isEmpty()) throw new IllegalArgumentException("a step needs at least one worker push");
        List<WorkerPush> ordered = new ArrayList<>(pushes);
        ordered.sort(Comparator.comparingInt(WorkerPush::worker));
        long samples = 0;
        double loss = 0;
        for (int w = 0; w < ordered.size(); w++) {
            WorkerPush p = ordered.get(w);
            if (w > 0 && ordered.get(w - 1).worker() == p.worker()) {
                throw new IllegalArgumentException("worker " + p.worker() + " pushed twice in one step");
            }
            if (p.version() != version) {
                throw new IllegalStateException("worker " + p.worker() + " pushed gradients for version " + p.version()
                        + " but the server is at version " + version);
            }
            validate(p);
            samples += p.samples();
            loss += p.lossSum();
        }
        long started = System.nanoTime();
        float[] means = meanGradient(ordered, samples);
        long summed = System.nanoTime();
        List<TrainableShard> shards = new ArrayList<>(trainable.values());
        ParallelShards.each(shards, trainableLayout.elements(), t -> t.apply(means));
        version++;
        return new StepReport(version, samples, loss / samples, summed - started, System.nanoTime() - summed);
    }

    /**
     * Sums in double, in worker order, then divides by the total sample count and rounds once to float, element by
     * element (ranges of elements in parallel). A non-finite gradient is found here, before any value changes.
     */
    private float[] meanGradient(List<WorkerPush> ordered, long samples) {
        int n = trainableLayout.elements();
        if (sums.length < n) {
            sums = new double[n];
            mean = new float[n];
        }
        double[] sum = sums;
        float[] out = mean;
        java.util.concurrent.atomic.AtomicBoolean nonFinite = new java.util.concurrent.atomic.AtomicBoolean();
        ParallelShards.ranges(n, (from, to) -> {
            Arrays.fill(sum, from, to, 0.0);
            for (WorkerPush p : ordered) {
                FloatBuffer g = p.gradientSums();
                for (int i = from; i < to; i++) sum[i] += g.get(i);
            }
            for (int i = from; i < to; i++) {
                if (!Double.isFinite(sum[i])) nonFinite.set(true);
                out[i] = (float) (sum[i] / samples);
            }
        });
        if (nonFinite.get()) {
            for (WorkerPush p : ordered) requireFinite(p);
        }
        return out;
    }

    private void validate(WorkerPush p) {
        if (p.gradientSums().position() != 0) {
            throw new IllegalArgumentException("worker " + p.worker() + "'s push is read from index 0; its buffer is at position "
                    + p.gradientSums().position());
        }
        if (p.gradientSums().limit() != trainableLayout.elements()) {
            throw new IllegalArgumentException("worker " + p.worker() + "'s push holds " + p.gradientSums().limit()
                    + " values; the trainable shards hold " + trainableLayout.elements());
        }
        if (!Double.isFinite(p.lossSum())) {
            throw new NonFiniteGradientException("worker " + p.worker() + " reported a non-finite loss (" + p.lossSum()
                    + ") at step " + (version + 1) + ": lower the learning rate or check the input data for NaN/Inf");
        }
    }

    /** Names the first non-finite gradient element of a push, in worker and layout order. */
    private void requireFinite(WorkerPush p) {
        FloatBuffer g = p.gradientSums();
        trainableLayout.walk((shard, at) -> {
            for (int i = 0; i < shard.length(); i++) {
                float v = g.get(at + i);
                if (!Float.isFinite(v)) {
                    throw new NonFiniteGradientException("worker " + p.worker() + " pushed a non-finite gradient (" + v
                            + ") at step " + (version + 1) + " in " + shard.describe() + ", element " + i
                            + ": lower the learning rate or check the input data for NaN/Inf");
                }
            }
        });
    }

    /**
     * Moves to new labels over the same shard boundaries. Newly frozen shards keep their current values as the
     * canonical frozen copy and lose their optimizer state; newly trainable ones start with fresh state.
     */
    public synchronized Transition relabel(ShardLayout next) {
        if (next.shards().size() != layout.shards().size() || next.totalLength() != layout.totalLength()) {
            throw new IllegalArgumentException("relabelling must keep the shard boundaries");
        }
        List<Shard> newlyFrozen = new ArrayList<>();
        List<Shard> newlyTrainable = new ArrayList<>();
        for (Shard s : next.shards()) {
            Shard old = layout.shards().get(s.index());
            if (old.offset() != s.offset() || old.length() != s.length()) {
                throw new IllegalArgumentException("relabelling moved " + old.describe() + " to " + s.describe());
            }
            if (old.frozen() == s.frozen()) continue;
            if (s.frozen()) {
                TrainableShard t = trainable.remove(s.index());
                frozen.put(s.index(), new FrozenShard(s, t.copy()));
                newlyFrozen.add(s);
            } else {
                FrozenShard f = frozen.remove(s.index());
                ShardTransform t = transform(s);
                trainable.put(s.index(), new TrainableShard(s, f.copy(), 0, t, t.init(s.length())));
                newlyTrainable.add(s);
            }
        }
        // Shards whose label did not change carry over as they are (same index, range, rule and state), repacked into
        // the new layout's vector.
        layout = next;
        trainableLayout = TrainableLayout.of(next);
        float[] repacked = new float[trainableLayout.elements()];
        trainableLayout.walk((s, at) -> trainable.put(s.index(), trainable.get(s.index()).movedTo(repacked, at)));
        packed = repacked;
        return new Transition(newlyFrozen, newlyTrainable);
    }

    /** The trainable values, packed in trainable-layout order: what the workers pull. */
    public synchronized float[] trainableValues() {
        return packed.clone();
    }

    /**
     * Hands the packed trainable values to {@code reader} without a copy, under the server's lock: how the service
     * encodes its answer with one copy. The reader must neither keep nor change the array.
     */
    public synchronized <T> T readTrainableValues(java.util.function.Function<float[], T> reader) {
        return reader.apply(packed);
    }

    /** A copy of one trainable shard's current values. */
    public synchronized float[] trainableValues(int shardIndex) {
        TrainableShard t = trainable.get(shardIndex);
        if (t == null) throw new IllegalArgumentException("shard " + shardIndex + " is not trainable");
        return t.copy();
    }

    /** The optimizer state of a shard; empty for frozen shards and running statistics, which have none. */
    public synchronized Optional<ShardState> optimizerState(int shardIndex) {
        TrainableShard t = trainable.get(shardIndex);
        return t == null ? Optional.empty() : t.state;
    }

    /** Copies of every trainable shard's optimizer state, by shard index: what a checkpoint saves. */
    public synchronized Map<Integer, ShardState> optimizerStates() {
        Map<Integer, ShardState> out = new TreeMap<>();
        for (var e : trainable.entrySet()) e.getValue().state.ifPresent(s -> out.put(e.getKey(), s.copy()));
        return out;
    }

    public synchronized int statefulShards() {
        int n = 0;
        for (TrainableShard t : trainable.values()) if (t.state.isPresent()) n++;
        return n;
    }

    /** Canonical fingerprints of the frozen shards, by shard index. */
    public synchronized Map<Integer, Long> frozenFingerprints() {
        Map<Integer, Long> out = new LinkedHashMap<>();
        for (var e : frozen.entrySet()) out.put(e.getKey(), e.getValue().fingerprint());
        return out;
    }

    /** The whole parameter vector: trainable values and canonical frozen values. */
    public synchronized float[] assemble() {
        float[] flat = new float[Math.toIntExact(layout.totalLength())];
        for (TrainableShard t : trainable.values()) System.arraycopy(t.values, t.at, flat, t.shard.start(), t.shard.length());
        for (FrozenShard f : frozen.values()) f.copyInto(flat);
        return flat;
    }
}
