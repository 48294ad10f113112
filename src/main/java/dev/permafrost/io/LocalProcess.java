package dev.permafrost.io;

import java.time.Instant;
import java.util.Optional;

/**
 * A process of this host, named by pid and start time: a pid alone can be reused by another process after the first
 * one ends. Used to tell what a process that is gone left behind (a lock, a temp folder) from what a live one holds.
 */
public record LocalProcess(long pid, long startMillis) {
    /** What became of a recorded process. */
    public enum State { ALIVE, GONE, PID_REUSED }

    public static LocalProcess current() {
        ProcessHandle me = ProcessHandle.current();
        return new LocalProcess(me.pid(), me.info().startInstant().map(Instant::toEpochMilli).orElse(0L));
    }

    public State state() {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty()) return State.GONE;
        long start = p.get().info().startInstant().map(Instant::toEpochMilli).orElse(startMillis);
        // start times are reported to the clock tick: a different process has a different start
        return Math.abs(start - startMillis) <= 2_000 ? State.ALIVE : State.PID_REUSED;
    }
}
