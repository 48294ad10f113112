/**
 * The parameter-server core: deterministic sums of the workers' pushes, each trainable shard's transform chosen by
 * its update rule, versions, relabelling at freeze transitions. Frozen shards have no transform and no state.
 */
package dev.permafrost.ps;
