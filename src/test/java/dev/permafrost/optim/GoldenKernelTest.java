package dev.permafrost.optim;

import dev.permafrost.testing.GoldenFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GoldenKernelTest {

    @Test
    void everyFmaCaseIsBitExact() {
        assertAllExact(GoldenReplay.replay(GoldenFiles.golden("adam_golden.json"), true));
    }

    @Test
    void everyNoFmaCaseIsBitExact() {
        assertAllExact(GoldenReplay.replay(GoldenFiles.golden("adam_golden_nofma.json"), false));
    }

    @Test
    void theWrongFmaModeIsCaughtSoTheCheckCanFail() {
        List<GoldenReplay.CaseResult> crossed = GoldenReplay.replay(GoldenFiles.golden("adam_golden.json"), false);
        long mismatched = crossed.stream().filter(r -> !r.exact()).count();
        assertTrue(mismatched > crossed.size() / 2, "replaying the FMA file without FMA should mismatch most cases, did " + mismatched);
        assertTrue(crossed.stream().filter(r -> !r.exact()).findFirst().orElseThrow().firstDifference().isPresent());
    }

    @Test
    void theKernelThroughItsStateMatchesTheRangeFunction() {
        // The kernel the parameter server uses (state object, step counter) against the golden path's function.
        var c = OptimizerConfig.Adam.adamW(1e-2, 0.01);
        float[] p1 = {0.5f, -1.25f, 3f, 0f};
        float[] p2 = p1.clone();
        float[] m = new float[4];
        float[] v = new float[4];
        AdamKernel kernel = new AdamKernel(c);
        ShardState s = kernel.newState(4);
        for (int t = 1; t <= 3; t++) {
            float[] g = {0.1f * t, -0.2f, 1e-9f, 0f};
            kernel.step(p1, 0, g, 0, 4, s);
            AdamKernel.stepFloat(p2, 0, g, 0, m, v, 0, 4, t, c);
        }
        assertEquals(3, s.step());
        for (int i = 0; i < 4; i++) assertEquals(Float.floatToRawIntBits(p2[i]), Float.floatToRawIntBits(p1[i]));
    }

    @Test
    void aMalformedFileIsReportedByName(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"schema\": \"adam-golden/v1\", \"inputs\": {\"n\": 2, \"n_steps\": 1, \"initial_params\": [1]}}");
        var e = assertThrows(GoldenReplay.GoldenFileException.class, () -> GoldenReplay.replay(bad, true));
        assertTrue(e.getMessage().contains("initial_params"), e.getMessage());
        var missing = assertThrows(GoldenReplay.GoldenFileException.class, () -> GoldenReplay.replay(dir.resolve("nope.json"), true));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
    }

    private static void assertAllExact(List<GoldenReplay.CaseResult> results) {
        assertEquals(64, results.size());
        assertTrue(results.stream().anyMatch(r -> r.dtype().equals("float64")));
        for (var r : results) {
            assertFalse(!r.exact(), r.id() + ": " + r.firstDifference().orElse(""));
        }
    }
}
