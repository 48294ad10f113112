package dev.permafrost.report;


import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepLossSampleTest {
    @Test
    void aShortRunKeepsEveryStep() {
        StepLossSample s = new StepLossSample(100);
        for (int i = 0; i < 60; i++) s.add(i, (i + 1) / 20.0, i * 0.5);
        assertEquals(60, s.points().size());
        assertEquals(1, s.stride());
        assertEquals(new StepLossSample.Point(59, 3.0, 29.5), s.points().get(59));
    }

    @Test
    void aLongRunStaysWithinTheLimitAtEvenlySpacedSteps() {
        StepLossSample s = new StepLossSample(100);
        for (long i = 0; i < 100_000; i++) s.add(i, 0, i);
        List<StepLossSample.Point> p = s.points();
        assertTrue(p.size() <= 100 && p.size() > 50, p.size() + " points");
        long stride = s.stride();
        assertEquals(1024, stride, "the smallest power of two that fits 100,000 steps into 100 points");
        for (int i = 0; i < p.size(); i++) {
            assertEquals(i * stride, p.get(i).step());
            assertEquals(p.get(i).step(), (long) p.get(i).loss(), "each point keeps its own step's loss");
        }
    }

    @Test
    void aLimitBelowTwoIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StepLossSample(1));
    }
}
