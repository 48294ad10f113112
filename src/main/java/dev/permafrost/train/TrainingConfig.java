package dev.permafrost.train;

import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.ShardLayout;

/**
 * How to train: {@code workers} simulated workers each take {@code batchPerWorker} samples per step (the global
 * batch is their sum); the data order of epoch e comes from {@code seed} and e alone; the frozen copy inside the
 * network is audited against the server's fingerprints on every step divisible by {@code auditEvery} (1: every step, the
 * default) and on each task's first and last step.
 */
public record TrainingConfig(int workers, int batchPerWorker, int epochs, long seed, OptimizerConfig optimizer,
                             FreezeSchedule schedule, int maxShardLength, int auditEvery) {

    public TrainingConfig {
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        if (batchPerWorker < 1) throw new IllegalArgumentException("batch per worker must be >= 1, got " + batchPerWorker);
        if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
        if (auditEvery < 1) throw new IllegalArgumentException("train.audit-every = " + auditEvery + "; it must be at least 1 (1: every step)");
    }

    public static TrainingConfig of(int workers, int batchPerWorker, int epochs, OptimizerConfig optimizer, FreezeSchedule schedule) {
        return new TrainingConfig(workers, batchPerWorker, epochs, 42L, optimizer, schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
    }

    public TrainingConfig withSeed(long newSeed) {
        return new TrainingConfig(workers, batchPerWorker, epochs, newSeed, optimizer, schedule, maxShardLength, auditEvery);
    }

    public TrainingConfig withEpochs(int newEpochs) {
        return new TrainingConfig(workers, batchPerWorker, newEpochs, seed, optimizer, schedule, maxShardLength, auditEvery);
    }
}
