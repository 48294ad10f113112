package dev.permafrost.train;

import dev.permafrost.ps.StepTimes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Where one worker's time went over a run, on the executor and device it ran on: its tasks' reports added up. */
public record WorkerTimes(int worker, String executor, WorkerDevice device, StepTimes times) {

    /** The reports of every task of a run, added up per worker and executor, in worker order. */
    public static List<WorkerTimes> of(List<RemoteWorker.Report> reports) {
        Map<String, WorkerTimes> byKey = new TreeMap<>();
        for (RemoteWorker.Report r : reports) {
            String key = String.format("%08d %s %s", r.worker(), r.executor(), r.device().device());
            WorkerTimes before = byKey.get(key);
            byKey.put(key, new WorkerTimes(r.worker(), r.executor(), r.device(), before == null ? r.times() : before.times().plus(r.times())));
        }
        return new ArrayList<>(byKey.values());
    }
}
