/**
 * The flat parameter vector cut into shards with fixed boundaries, each with its update rule (optimizer, running
 * statistic or frozen); the trainable layout in which values travel; fingerprints of raw bits.
 */
package dev.permafrost.shard;
