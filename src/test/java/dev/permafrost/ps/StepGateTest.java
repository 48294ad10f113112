package dev.permafrost.ps;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.shard.CheckFailedException;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.ShardLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The step's rules without a transport: replies are plain strings here. */
class StepGateTest {
    private ParameterServer core;
    private StepGate<String> gate;

    @BeforeEach
    void start() {
        Network net = Dl4jNetworks.of(FashionMlp.build(10, 5));
        ParamLabels labels = FreezePlan.freezing("pretrained.*").resolve(net.params());
        core = new ParameterServer(ShardLayout.plan(net.params(), labels), net.paramsCopy(), OptimizerConfig.Adam.adam(1e-3));
        gate = new StepGate<>(core, 2, 1);
        gate.startSubmission(1);
    }

    private GatePush push(int worker, int attempt, Map<Integer, Long> fingerprints) {
        float[] g = new float[core.trainableLayout().elements()];
        java.util.Arrays.fill(g, 0.25f);
        return new GatePush(worker, 1, attempt, core.version(), 0, "executor-" + worker, fingerprints, new WorkerPush(worker, core.version(), 4, 4.0, g));
    }

    private GatePush push(int worker) {
        return push(worker, 0, core.frozenFingerprints());
    }

    @Test
    void theWthPushAppliesTheStepAndAnswersEveryPushOfIt() {
        var first = gate.push(push(1), "reply-1");
        assertFalse(first.stepped());
        var second = gate.push(push(0), "reply-0");
        assertEquals(List.of("reply-0", "reply-1"), second.ready(), "in worker order");
        assertEquals(1, second.report().orElseThrow().version());
        assertEquals(1, core.version());
        assertEquals(2, gate.audits().size(), "both pushes carried every frozen fingerprint");
    }

    @Test
    void aNewerTaskAttemptSupersedesTheWaitingPushAndASecondPushOfOneAttemptFailsTheJob() {
        gate.push(push(0, 0, core.frozenFingerprints()), "attempt-0");
        var newer = gate.push(push(0, 1, core.frozenFingerprints()), "attempt-1");
        assertEquals(List.of("attempt-0"), newer.superseded());
        var twice = assertThrows(CheckFailedException.class, () -> gate.push(push(0, 1, core.frozenFingerprints()), "again"));
        assertTrue(twice.getMessage().contains("worker 0 (executor-0) pushed twice for step 1"), twice.getMessage());
        var after = assertThrows(CheckFailedException.class, () -> gate.requireCurrent(1, 0, 1));
        assertEquals(twice.getMessage(), after.getMessage(), "every later call is refused with the reason");
        assertEquals(List.of("attempt-1"), gate.drain());
    }

    @Test
    void staleInvalidAndOtherPhaseCallsAreRefusedWithoutFailingTheJob() {
        GatePush p = push(0);
        var oldVersion = new GatePush(0, 1, 0, core.version() + 3, 0, "e", core.frozenFingerprints(), p.push());
        assertEquals(StepGate.Refused.Kind.STALE, assertThrows(StepGate.Refused.class, () -> gate.push(oldVersion, "r")).kind());
        var oldSubmission = new GatePush(0, 0, 0, core.version(), 0, "e", core.frozenFingerprints(), p.push());
        assertEquals(StepGate.Refused.Kind.STALE, assertThrows(StepGate.Refused.class, () -> gate.push(oldSubmission, "r")).kind());
        var otherPhase = new GatePush(0, 1, 0, core.version(), 4, "e", core.frozenFingerprints(), p.push());
        assertEquals(StepGate.Refused.Kind.PHASE, assertThrows(StepGate.Refused.class, () -> gate.push(otherPhase, "r")).kind());
        var outside = new GatePush(7, 1, 0, core.version(), 0, "e", core.frozenFingerprints(), p.push());
        assertEquals(StepGate.Refused.Kind.INVALID, assertThrows(StepGate.Refused.class, () -> gate.push(outside, "r")).kind());
        assertTrue(gate.failure().isEmpty());
    }

    @Test
    void aMissingOrDifferentFingerprintFailsTheJobNamingTheShard() {
        Map<Integer, Long> some = new HashMap<>(core.frozenFingerprints());
        some.remove(some.keySet().iterator().next());
        var missing = assertThrows(CheckFailedException.class, () -> gate.push(push(0, 0, some), "r"));
        assertTrue(missing.getMessage().contains("sent fingerprints of " + some.size() + " of the " + (some.size() + 1) + " frozen shards"),
                missing.getMessage());

        start();
        Map<Integer, Long> changed = new HashMap<>(core.frozenFingerprints());
        changed.replaceAll((k, v) -> v + 1);
        var differs = assertThrows(FrozenCopyMismatchException.class, () -> gate.push(push(1, 0, changed), "r"));
        assertTrue(differs.getMessage().contains("changed on executor executor-1 (worker 1) at step 1"), differs.getMessage());
    }

    @Test
    void aNewSubmissionReturnsThePushesStillWaiting() {
        gate.push(push(1), "left-waiting");
        assertEquals(List.of("left-waiting"), gate.startSubmission(2));
        assertThrows(IllegalArgumentException.class, () -> gate.startSubmission(2));
    }
}
