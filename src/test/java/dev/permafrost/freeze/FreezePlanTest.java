package dev.permafrost.freeze;

import dev.permafrost.model.ParamTable;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FreezePlanTest {

    static ParamTable table() {
        return dev.permafrost.testing.SampleTables.sevenLayers();
    }

    @Test
    void globMatchesAcrossDots() {
        ParamLabels l = FreezePlan.freezing("pretrained.*").resolve(table());
        assertEquals(List.of("pretrained.bn.gamma", "pretrained.bn.beta", "pretrained.bn.mean", "pretrained.bn.var",
                "pretrained.fc.W", "pretrained.fc.b"), l.names(Label.FROZEN));
        assertEquals(Label.TRAINABLE, l.label("features.0.W"));
    }

    @Test
    void globQuestionMarkIsOneCharacterAndTheWholeNameMustMatch() {
        ParamLabels l = FreezePlan.freezing("features.?.W").resolve(table());
        assertEquals(List.of("features.0.W", "features.1.W", "features.2.W", "features.3.W"), l.names(Label.FROZEN));
        assertThrows(FreezePlanException.class, () -> FreezePlan.freezing("features").resolve(table()));
    }

    @Test
    void regexIsFoundAnywhereAndHonoursAnchors() {
        ParamLabels l = FreezePlan.freezing("re:^features\\.[0-1]\\.").resolve(table());
        assertEquals(List.of("features.0.W", "features.0.b", "features.1.W", "features.1.b"), l.names(Label.FROZEN));
        ParamLabels unanchored = FreezePlan.freezing("re:\\.b$").resolve(table());
        assertEquals(6, unanchored.names(Label.FROZEN).size());
    }

    @Test
    void layerRangesAndAllButLast() {
        assertEquals(List.of("features.2.W", "features.2.b", "features.3.W", "features.3.b"),
                FreezePlan.freezing("layers:2-3").resolve(table()).names(Label.FROZEN));
        assertEquals(List.of("head.W", "head.b"), FreezePlan.freezing("all-but-last:1").resolve(table()).names(Label.TRAINABLE));
        assertEquals(List.of("features.1.W", "features.1.b"), FreezePlan.freezing("layers:1").resolve(table()).names(Label.FROZEN));
    }

    @Test
    void keepTrainableWinsOverFreeze() {
        FreezePlan plan = FreezePlan.parse(List.of("all-but-last:1"), List.of("pretrained.bn.*", "re:^features\\.3\\."));
        ParamLabels l = plan.resolve(table());
        assertEquals(Label.TRAINABLE, l.label("pretrained.bn.mean"));
        assertEquals(Label.TRAINABLE, l.label("features.3.b"));
        assertEquals(Label.FROZEN, l.label("features.2.b"));
        assertEquals(Label.FROZEN, l.label("pretrained.fc.W"));
    }

    @Test
    void aPatternMatchingNothingNamesItAndSuggestsClosestNamesFirst() {
        var e = assertThrows(FreezePlanException.class, () -> FreezePlan.freezing("pretrained.fc.w").resolve(table()));
        assertTrue(e.getMessage().contains("'pretrained.fc.w' matches no parameter"), e.getMessage());
        String suggestions = e.getMessage().substring(e.getMessage().indexOf("closest first: ") + "closest first: ".length());
        assertTrue(suggestions.startsWith("pretrained.fc.W"), suggestions);
        var typo = assertThrows(FreezePlanException.class, () -> FreezePlan.freezing("heda.*").resolve(table()));
        String first = typo.getMessage().split("closest first: ")[1].split(",")[0];
        assertTrue(first.startsWith("head."), typo.getMessage());
        var keep = assertThrows(FreezePlanException.class,
                () -> FreezePlan.parse(List.of("features.*"), List.of("features.9.*")).resolve(table()));
        assertTrue(keep.getMessage().startsWith("keep-trainable pattern 'features.9.*'"), keep.getMessage());
        var range = assertThrows(FreezePlanException.class, () -> FreezePlan.freezing("layers:9-12").resolve(table()));
        assertTrue(range.getMessage().contains("layers 0-6"), range.getMessage());
    }

    @Test
    void aKeepTrainablePatternThatCancelsAFreezePatternNamesBoth() {
        var e = assertThrows(FreezePlanException.class,
                () -> FreezePlan.parse(List.of("pretrained.bn.*", "features.*"), List.of("pretrained.*")).resolve(table()));
        assertTrue(e.getMessage().startsWith("freeze pattern 'pretrained.bn.*' is cancelled by keep-trainable pattern 'pretrained.*'"),
                e.getMessage());
        assertTrue(e.getMessage().contains("freezes nothing") && e.getMessage().contains("Remove the freeze pattern 'pretrained.bn.*'"),
                e.getMessage());
        var together = assertThrows(FreezePlanException.class,
                () -> FreezePlan.parse(List.of("layers:0-1"), List.of("features.0.*", "features.1.*")).resolve(table()));
        assertTrue(together.getMessage().contains("freeze pattern 'layers:0-1' is cancelled by keep-trainable patterns 'features.0.*' and "
                + "'features.1.*'"), together.getMessage());
        // Taking back only part of a freeze pattern is what keep-trainable is for.
        assertEquals(List.of("pretrained.fc.W", "pretrained.fc.b"),
                FreezePlan.parse(List.of("pretrained.*"), List.of("pretrained.bn.*")).resolve(table()).names(Label.FROZEN));
    }

    @Test
    void repeatedPatternsAreWarningsAndThePlanStillResolves() {
        FreezePlan plan = FreezePlan.parse(List.of("pretrained.*", "features.0.*", "pretrained.*", "head.b"),
                List.of("pretrained.bn.*", "pretrained.bn.*", "head.b"));
        List<String> expected = List.of(
                "freeze pattern 'pretrained.*' is given twice; the second has no effect",
                "keep-trainable pattern 'pretrained.bn.*' is given twice; the second has no effect",
                "pattern 'head.b' is given both to freeze and to keep-trainable; keep-trainable wins, so it freezes nothing: "
                        + "remove it from one of the two lists");
        assertEquals(expected, plan.warnings());
        assertEquals(List.of("features.0.W", "features.0.b", "pretrained.fc.W", "pretrained.fc.b"), plan.resolve(table()).names(Label.FROZEN));
        assertEquals(expected, FreezeSchedule.constant(plan).warnings());
        assertEquals(List.of(), FreezePlan.parse(List.of("pretrained.*"), List.of("pretrained.bn.*")).warnings());
        assertEquals(List.of(), FreezePlan.NOTHING_FROZEN.warnings());
    }

    @Test
    void freezingEverythingIsAnError() {
        var e = assertThrows(FreezePlanException.class, () -> FreezePlan.freezing("*").resolve(table()));
        assertTrue(e.getMessage().contains("freezes every parameter"), e.getMessage());
        assertTrue(e.getMessage().contains("head.*"), e.getMessage());
    }

    @Test
    void malformedPatternsAreExplained() {
        assertTrue(assertThrows(FreezePlanException.class, () -> ParamSelector.parse("re:([")).getMessage().contains("not a valid regular expression"));
        assertTrue(assertThrows(FreezePlanException.class, () -> ParamSelector.parse("layers:3-1")).getMessage().contains("ends"));
        assertTrue(assertThrows(FreezePlanException.class, () -> ParamSelector.parse("layers:a")).getMessage().contains("layers:FROM-TO"));
        assertTrue(assertThrows(FreezePlanException.class, () -> ParamSelector.parse("all-but-last:x")).getMessage().contains("whole number"));
        assertTrue(assertThrows(FreezePlanException.class, () -> ParamSelector.parse(" ")).getMessage().contains("empty"));
    }

    @Test
    void scheduleFreezesFromAnEpoch() {
        FreezeSchedule s = FreezeSchedule.of(new FreezeSchedule.Phase(10, FreezePlan.freezing("pretrained.*")));
        var phases = s.resolve(table());
        assertEquals(2, phases.size());
        for (int e = 0; e < 10; e++) assertEquals(0, FreezeSchedule.labelsAt(phases, e).names(Label.FROZEN).size(), "epoch " + e);
        assertEquals(6, FreezeSchedule.labelsAt(phases, 10).names(Label.FROZEN).size());
        assertEquals(6, FreezeSchedule.labelsAt(phases, 99).names(Label.FROZEN).size());
        assertEquals(FreezePlan.NOTHING_FROZEN, s.planAt(9));
    }

    @Test
    void gradualUnfreezingReleasesTheTopBlockFirst() {
        FreezeSchedule s = FreezeSchedule.gradualUnfreeze(List.of("features.0.*", "features.1.*", "features.2.*"), 0, 2);
        var phases = s.resolve(table());
        assertEquals(8, FreezeSchedule.labelsAt(phases, 0).elements(Label.FROZEN) / 4 + 2); // 3 blocks x 2 params
        assertEquals(Label.FROZEN, FreezeSchedule.labelsAt(phases, 1).label("features.2.W"));
        assertEquals(Label.TRAINABLE, FreezeSchedule.labelsAt(phases, 2).label("features.2.W"));
        assertEquals(Label.FROZEN, FreezeSchedule.labelsAt(phases, 3).label("features.1.W"));
        assertEquals(Label.TRAINABLE, FreezeSchedule.labelsAt(phases, 4).label("features.1.W"));
        assertEquals(Label.FROZEN, FreezeSchedule.labelsAt(phases, 4).label("features.0.W"));
        assertEquals(0, FreezeSchedule.labelsAt(phases, 6).names(Label.FROZEN).size());
        assertThrows(FreezePlanException.class, () -> FreezeSchedule.gradualUnfreeze(List.of("a"), 0, 0));
    }

    @Test
    void aBadPhaseFailsBeforeTrainingAndNamesItsEpoch() {
        FreezeSchedule s = FreezeSchedule.of(new FreezeSchedule.Phase(10, FreezePlan.freezing("pretrianed.*")));
        var e = assertThrows(FreezePlanException.class, () -> s.resolve(table()));
        assertTrue(e.getMessage().startsWith("in the schedule phase from epoch 10"), e.getMessage());
        assertThrows(FreezePlanException.class, () -> FreezeSchedule.of(new FreezeSchedule.Phase(3, FreezePlan.NOTHING_FROZEN),
                new FreezeSchedule.Phase(3, FreezePlan.freezing("head.*"))));
    }
}
