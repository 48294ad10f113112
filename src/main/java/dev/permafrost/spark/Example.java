package dev.permafrost.spark;

import java.io.Serializable;

/** One training row with its stable index: the key that makes every epoch's split identical on every retry. */
public record Example(int index, float[] features, int label) implements Serializable {
}
