package dev.permafrost.ps.rpc;

/** One frozen-copy check an executor reported: where, at which step, how many shards matched. */
public record AuditRecord(String executor, int worker, long version, int shardsChecked) {
}
