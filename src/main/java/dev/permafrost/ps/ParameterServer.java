package dev.permafrost.ps;

import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.shard.TrainableLayout;
import dev.permafrost.shard.UpdateRule;

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
    public record StepReport(long version, long samples, double meanLoss) {
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
    private final Map<Integer, FrozenShard> frozen = new TreeMap<>();
    private long version;
    /** The double sums of one step, kept between steps: the step path allocates no buffer of the model's size. */
    private double[] sums = new double[0];

    /** A server at version 0 with fresh optimizer state. */
    public ParameterServer(ShardLayout layout, float[] initialFlat, OptimizerConfig optimizer) {
        this(layout, initialFlat, optimizer, 0);
        for (Shard s : layout.shards()) {
            if (!s.frozen()) trainable.put(s.index(), new TrainableShard(s, slice(initialFlat, s), transform(s)));
        }
    }

    /**
     * Restores a server from a checkpoint: values, version and the optimizer state of every optimizer shard. A state
     * for a frozen shard or a running statistic, or a missing one, is an error.
     */
    public static ParameterServer restore(ShardLayout layout, float[] flat, OptimizerConfig optimizer, long version,
                                          Map<Integer, ShardState> states) {
        ParameterServer server = new ParameterServer(layout, flat, optimizer, version);
        for (Shard s : layout.shards()) {
            if (s.frozen()) {
                if (states.containsKey(s.index())) {
                    throw new IllegalArgumentException("saved optimizer state for frozen " + s.describe() + ": frozen shards have none");
                }
                continue;
            }
            Optional<ShardState> state = Optional.ofNullable(states.get(s.index())).map(ShardState::copy);
            server.trainable.put(s.index(), new TrainableShard(s, slice(flat, s), server.transform(s), state));
        }
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
        float[] mean = meanGradient(ordered, samples);
        trainableLayout.scatter(mean, (shard, packed, from) -> trainable.get(shard.index()).apply(packed, from));
        version++;
        return new StepReport(version, samples, loss / samples);
    }

    /** Sums in double, in worker order, then divides by the total sample count and rounds once to float. */
    private float[] meanGradient(List<WorkerPush> ordered, long samples) {
        int n = trainableLayout.elements();
        if (sums.length < n) sums = new double[n];
        double[] sum = sums;
        Arrays.fill(sum, 0, n, 0.0);
        for (WorkerPush p : ordered) {
            float[] g = p.gradientSums();
            for (int i = 0; i < n; i++) sum[i] += g[i];
        }
        float[] mean = new float[n];
        for (int i = 0; i < n; i++) mean[i] = (float) (sum[i] / samples);
        return mean;
    }

    private void validate(WorkerPush p) {
        trainableLayout.requireLength(p.gradientSums(), "worker " + p.worker() + "'s push");
        if (!Double.isFinite(p.lossSum())) {
            throw new NonFiniteGradientException("worker " + p.worker() + " reported a non-finite loss (" + p.lossSum()
                    + ") at step " + (version + 1) + ": lower the learning rate or check the input data for NaN/Inf");
        }
        trainableLayout.scatter(p.gradientSums(), (shard, packed, from) -> {
            for (int i = 0; i < shard.length(); i++) {
                if (!Float.isFinite(packed[from + i])) {
                    throw new NonFiniteGradientException("worker " + p.worker() + " pushed a non-finite gradient (" + packed[from + i]
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
                frozen.put(s.index(), new FrozenShard(s, t.values));
                newlyFrozen.add(s);
            } else {
                FrozenShard f = frozen.remove(s.index());
                trainable.put(s.index(), new TrainableShard(s, f.copy(), transform(s)));
                newlyTrainable.add(s);
            }
        }
        // Shards whose label did not change carry over as they are: same index, range and rule.
        layout = next;
        trainableLayout = TrainableLayout.of(next);
        return new Transition(newlyFrozen, newlyTrainable);
    }

    /** The trainable values, packed in trainable-layout order: what the workers pull. */
    public synchronized float[] trainableValues() {
        float[] packed = new float[trainableLayout.elements()];
        trainableLayout.scatter(packed, (shard, out, from) -> {
            float[] v = trainable.get(shard.index()).values;
            System.arraycopy(v, 0, out, from, v.length);
        });
        return packed;
    }

    /** A copy of one trainable shard's current values. */
    public synchronized float[] trainableValues(int shardIndex) {
        TrainableShard t = trainable.get(shardIndex);
        if (t == null) throw new IllegalArgumentException("shard " + shardIndex + " is not trainable");
        return t.values.clone();
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
        for (TrainableShard t : trainable.values()) System.arraycopy(t.values, 0, flat, t.shard.start(), t.values.length);
        for (FrozenShard f : frozen.values()) f.copyInto(flat);
        return flat;
    }
}
