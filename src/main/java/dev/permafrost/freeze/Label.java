package dev.permafrost.freeze;

/** What a freeze plan says of one parameter. Later labels (per-group learning rates) join here. */
public enum Label {
    TRAINABLE,
    FROZEN;

    public String text() {
        return this == TRAINABLE ? "trainable" : "frozen";
    }
}
