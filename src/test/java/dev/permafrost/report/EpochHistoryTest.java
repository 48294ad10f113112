package dev.permafrost.report;


import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.train.FrozenReference;
import dev.permafrost.train.TrainingListener;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-epoch record: what it keeps of an epoch's end, and the run stopped when a frozen parameter moved on the server. */
class EpochHistoryTest {
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final EpochHistory history = new EpochHistory(null, Optional.empty(), new PrintStream(printed, true, StandardCharsets.UTF_8));

    private void start() {
        var network = Dl4jNetworks.of(FashionMlp.build(10, 1));
        history.onEpochStart(0, ParamLabels.allTrainable(network.params()), ParameterServer.Transition.NONE, network);
    }

    @Test
    void anEpochWhoseFrozenParametersAreIntactIsRecordedWithItsAudit() {
        start();
        var checks = List.of(new FrozenReference.ParamCheck("pretrained.fc1.W", 0, "start", 200_704, 0));
        history.onEpochEnd(new TrainingListener.EpochEnd(0, 0.5, 0, 6400, 2.0, 200, 400, checks, () -> {
            throw new AssertionError("no test data: the network is not needed");
        }));
        EpochHistory.Epoch e = history.epochs().get(0);
        assertEquals(1, e.epoch());
        assertEquals(3200.0, e.samplesPerSecond());
        assertEquals(new EpochHistory.EpochChecks(200, 400, 1, 200_704, "identical"), e.audit());
        assertEquals(java.util.Optional.empty(), e.testAccuracy());
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("1 frozen parameters (200,704 elements) bit-identical on the server"));
    }
}
