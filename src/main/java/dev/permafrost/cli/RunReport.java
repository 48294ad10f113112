package dev.permafrost.cli;

import dev.permafrost.freeze.Label;
import dev.permafrost.ps.rpc.AuditRecord;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.Shard;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.TrainingConfig;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What a training job writes beside its model: {@code metrics.json} and {@code audit.json}, as records the JSON mirrors. */
final class RunReport {
    private RunReport() {
    }

    /** metrics.json; absent numbers (no test data, no resume) are left out of the file. */
    record Metrics(String job, int rows, long droppedRows, int workers, int batchPerWorker, int epochs, long steps, double seconds,
                   double samplesPerSecond, long bytesPushedPerStep, long trainableElements, long frozenElements,
                   int resubmittedEpochs, Double testAccuracy, String optimizer, int checkpointsWritten, double checkpointSeconds,
                   long checkpointBytes, Long resumedFromVersion) {
    }

    /** One frozen shard as the run ended: where it is and its fingerprint. */
    record FrozenShardRecord(int shard, List<String> params, long offset, int length, String fingerprint) {
    }

    /** audit.json. */
    record Audit(List<FrozenShardRecord> frozenShards, Map<String, Integer> shardChecksByExecutor, int checks, String result,
                 List<String> freezePatterns) {
    }

    static Metrics metrics(String job, TrainingConfig c, DistributedTrainer.Result r, double seconds, long samples, Double accuracy,
                           int rows, long dropped, TrainJob.CheckpointLog checkpoints, Long resumedFrom) {
        return new Metrics(job, rows, dropped, c.workers(), c.batchPerWorker(), c.epochs(), r.steps(), seconds, samples / seconds,
                r.bytesPushed() / Math.max(1, r.steps()), r.server().layout().elements(Label.TRAINABLE),
                r.server().layout().elements(Label.FROZEN), r.resubmissions(), accuracy, c.optimizer().describe(), checkpoints.count,
                checkpoints.seconds, checkpoints.lastBytes, resumedFrom);
    }

    static Audit audit(DistributedTrainer.Result r, List<String> freezePatterns) {
        float[] flat = r.server().assemble();
        List<FrozenShardRecord> shards = r.server().layout().frozen().stream()
                .map(s -> new FrozenShardRecord(s.index(), s.paramNames(), s.offset(), s.length(), fingerprint(flat, s))).toList();
        Map<String, Integer> byExecutor = new TreeMap<>();
        for (AuditRecord rec : r.audits()) byExecutor.merge(rec.executor(), rec.shardsChecked(), Integer::sum);
        return new Audit(shards, byExecutor, r.audits().size(), "every frozen copy matched the canonical fingerprints",
                List.copyOf(freezePatterns));
    }

    private static String fingerprint(float[] flat, Shard s) {
        return Fingerprint.hex(Fingerprint.of(flat, s.start(), s.length()));
    }
}
