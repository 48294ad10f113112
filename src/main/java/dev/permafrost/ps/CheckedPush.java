package dev.permafrost.ps;

/** One push whose frozen fingerprints all matched: which executor and worker, at which step, how many shards. */
public record CheckedPush(String executor, int worker, long step, int shardsChecked) {
}
