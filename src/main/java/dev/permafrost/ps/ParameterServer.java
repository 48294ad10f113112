package dev.permafrost.ps;

import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.optim.OptimizerKernel;
import dev.permafrost.optim.ShardState;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parameter-server core: holds the trainable shards' values and optimizer state, and the frozen shards'
 * canonical values and fingerprints. A step sums the workers' pushes in worker order, averages by the total
 * sample count and applies each trainable shard's rule; frozen shards have no state and no code path that
 * writes them. Relabelling at a freeze transition drops the state of newly frozen shards and gives newly
 * trainable ones fresh state (step 0).
 */
public final class ParameterServer {

    /** What one step did. */
    public record StepReport(long version, long samples, double meanLoss) {
    }

    /** What a relabelling changed. */
    public record Transition(List<Shard> newlyFrozen, List<Shard> newlyTrainable) {
        public boolean changed() {
            return !newlyFrozen.isEmpty() || !newlyTrainable.isEmpty();
        }
    }

    private final OptimizerConfig optimizer;
    private final OptimizerKernel kernel;
    private ShardLayout layout;
    private final Map<Integer, TrainableShard> trainable = new TreeMap<>();
    private final Map<Integer, FrozenShard> frozen = new TreeMap<>();
    private long version;
    private double[] scratch = new double[0];

    public ParameterServer(ShardLayout layout, float[] initialFlat, OptimizerConfig optimizer) {
        this(layout, initialFlat, optimizer, 0, null);
    }

    /**
     * Restores a server from a checkpoint: values, version and the optimizer state of every stateful trainable shard.
     * A state for a frozen shard, or a missing one, is an error.
     */
    public static ParameterServer restore(ShardLayout layout, float[] flat, OptimizerConfig optimizer, long version,
                                          Map<Integer, ShardState> states) {
        return new ParameterServer(layout, flat, optimizer, version, states);
    }

    private ParameterServer(ShardLayout layout, float[] initialFlat, OptimizerConfig optimizer, long version, Map<Integer, ShardState> states) {
        if (initialFlat.length != layout.totalLength()) {
            throw new IllegalArgumentException("initial parameters have " + initialFlat.length + " elements, the layout "
                    + layout.totalLength());
        }
        this.optimizer = optimizer;
        this.kernel = optimizer.kernel();
        this.layout = layout;
        this.version = version;
        for (Shard s : layout.shards()) {
            float[] v = java.util.Arrays.copyOfRange(initialFlat, s.start(), s.end());
            if (s.frozen()) {
                if (states != null && states.containsKey(s.index())) {
                    throw new IllegalArgumentException("saved optimizer state for frozen " + s.describe() + ": frozen shards have none");
                }
                frozen.put(s.index(), new FrozenShard(s, v));
            } else if (states == null) {
                trainable.put(s.index(), new TrainableShard(s, v, kernel));
            } else {
                ShardState st = states.get(s.index());
                trainable.put(s.index(), new TrainableShard(s, v, st == null ? null : st.copy()));
            }
        }
    }

    public synchronized ShardLayout layout() {
        return layout;
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
        List<Shard> shards = layout.trainable();
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
            validate(p, shards);
            samples += p.samples();
            loss += p.lossSum();
        }
        for (int k = 0; k < shards.size(); k++) {
            Shard s = shards.get(k);
            int len = s.length();
            if (scratch.length < len) scratch = new double[len];
            java.util.Arrays.fill(scratch, 0, len, 0.0);
            for (WorkerPush p : ordered) {
                float[] g = p.gradientSums().get(k);
                for (int i = 0; i < len; i++) scratch[i] += g[i];
            }
            float[] mean = new float[len];
            for (int i = 0; i < len; i++) mean[i] = (float) (scratch[i] / samples);
            trainable.get(s.index()).apply(mean, kernel);
        }
        version++;
        return new StepReport(version, samples, loss / samples);
    }

    private void validate(WorkerPush p, List<Shard> shards) {
        if (p.gradientSums().size() != shards.size()) {
            throw new IllegalArgumentException("worker " + p.worker() + " pushed " + p.gradientSums().size()
                    + " shards; the layout has " + shards.size() + " trainable shards");
        }
        if (!Double.isFinite(p.lossSum())) {
            throw new NonFiniteGradientException("worker " + p.worker() + " reported a non-finite loss (" + p.lossSum()
                    + ") at step " + (version + 1) + ": lower the learning rate or check the input data for NaN/Inf");
        }
        for (int k = 0; k < shards.size(); k++) {
            float[] g = p.gradientSums().get(k);
            Shard s = shards.get(k);
            if (g.length != s.length()) {
                throw new IllegalArgumentException("worker " + p.worker() + " pushed " + g.length + " values for "
                        + s.describe());
            }
            for (int i = 0; i < g.length; i++) {
                if (!Float.isFinite(g[i])) {
                    throw new NonFiniteGradientException("worker " + p.worker() + " pushed a non-finite gradient (" + g[i]
                            + ") at step " + (version + 1) + " in " + s.describe() + ", element " + i
                            + ": lower the learning rate or check the input data for NaN/Inf");
                }
            }
        }
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
                trainable.put(s.index(), new TrainableShard(s, f.copy(), kernel));
                newlyTrainable.add(s);
            }
        }
        // Shards whose label did not change carry over as they are: same index, range and label.
        layout = next;
        return new Transition(List.copyOf(newlyFrozen), List.copyOf(newlyTrainable));
    }

    /** A copy of a trainable shard's current values. */
    public synchronized float[] trainableValues(int shardIndex) {
        TrainableShard t = trainable.get(shardIndex);
        if (t == null) throw new IllegalArgumentException("shard " + shardIndex + " is not trainable");
        return t.values.clone();
    }

    /** The optimizer state of a shard, or null: frozen shards and running statistics have none. */
    public synchronized ShardState optimizerState(int shardIndex) {
        TrainableShard t = trainable.get(shardIndex);
        return t == null ? null : t.state;
    }

    /** Copies of every trainable shard's optimizer state, by shard index: what a checkpoint saves. */
    public synchronized Map<Integer, ShardState> optimizerStates() {
        Map<Integer, ShardState> out = new TreeMap<>();
        for (var e : trainable.entrySet()) if (e.getValue().state != null) out.put(e.getKey(), e.getValue().state.copy());
        return out;
    }

    public synchronized int statefulShards() {
        int n = 0;
        for (TrainableShard t : trainable.values()) if (t.state != null) n++;
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
