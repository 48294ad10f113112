package dev.permafrost.network;

/**
 * One worker's gradient over its minibatch in the flat layout: sums over the samples for ordinary parameters,
 * DL4J's update times the sample count for running statistics, so every element averages the same way.
 */
public record Gradients(float[] flat, int samples, double lossSum) {
}
