package dev.permafrost.data;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RowChecksTest {

    @Test
    void labelsMustBeClassIndicesOfTheOutputLayer() {
        assertEquals(Optional.empty(), RowChecks.label(0, 3));
        assertEquals(Optional.empty(), RowChecks.label(2.0, 3));
        assertEquals(Optional.of("label 3.0 is not a class index in 0..2 (the model's head predicts 3 classes; model.replace-head-classes gives it a head for another number)"), RowChecks.label(3, 3));
        assertEquals(Optional.of("label 1.5 is not a class index in 0..2 (the model's head predicts 3 classes; model.replace-head-classes gives it a head for another number)"), RowChecks.label(1.5, 3));
        assertEquals(Optional.of("label -1.0 is not a class index in 0..2 (the model's head predicts 3 classes; model.replace-head-classes gives it a head for another number)"), RowChecks.label(-1, 3));
        assertEquals(Optional.of("label NaN is not a class index in 0..2 (the model's head predicts 3 classes; model.replace-head-classes gives it a head for another number)"), RowChecks.label(Double.NaN, 3));
    }

    @Test
    void featuresMustHaveTheModelsWidthAndBeFinite() {
        assertEquals(Optional.empty(), RowChecks.features(new float[]{0f, 1f}, 2));
        assertEquals(Optional.of("it has 3 features; the model expects 2"), RowChecks.features(new float[3], 2));
        assertEquals(Optional.of("feature 1 is NaN"), RowChecks.features(new float[]{0f, Float.NaN}, 2));
        assertEquals(Optional.of("feature 0 is -Infinity"), RowChecks.features(new float[]{Float.NEGATIVE_INFINITY, 0f}, 2));
        assertEquals(Optional.of("label 5.0 is not a class index in 0..1 (the model's head predicts 2 classes; model.replace-head-classes gives it a head for another number)"),
                RowChecks.row(5, 2, new float[]{Float.NaN}, 2), "the label is reported first");
    }
}
