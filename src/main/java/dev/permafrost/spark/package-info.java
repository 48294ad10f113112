/**
 * Everything that talks to Spark: broadcasting the phase's model, barrier epochs with rows routed to their workers,
 * DataFrame, CSV and LibSVM input, the Fashion-MNIST import, and a local standalone cluster.
 */
package dev.permafrost.spark;
