package dev.permafrost.checkpoint;

import dev.permafrost.freeze.Label;
import dev.permafrost.train.JobIdentity;
import dev.permafrost.train.TrainState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestTest {

    private static TrainState state() {
        return new TrainState(12, 1, 10, 42, 1, "{}", false, new float[]{1f, 2f, 3f}, List.of("a.W", "a.b"),
                List.of(Label.FROZEN, Label.TRAINABLE), List.of(new TrainState.SchedulePhase(1, List.of("a.W"), List.of())),
                List.of(new TrainState.ShardRecord(0, 2, false, Label.FROZEN, 0xfedcba9876543210L),
                        new TrainState.ShardRecord(2, 1, false, Label.TRAINABLE, 7L)),
                "Adam(lr=0.001)", Map.of(), 0.25, new JobIdentity(Map.of("train.workers", "2")));
    }

    @Test
    void aManifestRoundTripsAndIsWrittenTheSameWayEveryTime() {
        String json = Manifest.of(state(), "aa", "bb").json();
        assertEquals(json, Manifest.of(state(), "aa", "bb").json());
        assertTrue(json.indexOf("model.zip") < json.indexOf("optimizer.bin"), json);
        Manifest back = Manifest.parse(json);
        assertEquals(12, back.version());
        assertEquals(List.of(Label.FROZEN, Label.TRAINABLE), back.parsedLabels());
        assertEquals(0xfedcba9876543210L, back.shards().get(0).record().fingerprint());
        assertEquals(state().schedule(), back.schedule());
        assertEquals(Map.of("train.workers", "2"), back.job());
    }

    @Test
    void aManifestMissingAFieldOrOfAnotherFormatIsRefused() {
        String json = Manifest.of(state(), "aa", "bb").json();
        var noVersion = assertThrows(IllegalStateException.class, () -> Manifest.parse(json.replace("\"version\": 12,", "")));
        assertTrue(noVersion.getMessage().contains("lacks 'version'"), noVersion.getMessage());
        var noFreeze = assertThrows(IllegalStateException.class, () -> Manifest.parse(json.replaceFirst("\"freeze\": \\[[^\\]]*\\],", "")));
        assertTrue(noFreeze.getMessage().contains("schedule[0]") && noFreeze.getMessage().contains("'freeze'"), noFreeze.getMessage());
        var format = assertThrows(IllegalStateException.class, () -> Manifest.parse(json.replace("permafrost-checkpoint/2", "other/9")));
        assertTrue(format.getMessage().contains("is of format 'other/9', not permafrost-checkpoint/2"), format.getMessage());
        assertThrows(IllegalStateException.class, () -> Manifest.parse("{ not json"));
    }
}
