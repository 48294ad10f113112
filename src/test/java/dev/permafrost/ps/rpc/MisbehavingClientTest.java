package dev.permafrost.ps.rpc;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.shard.CheckFailedException;
import dev.permafrost.shard.ShardLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that holds the job's secret and breaks the protocol: it leaves out fingerprints, sends some of them, pushes
 * twice for one step or sends more than the job's largest push. Each is refused, and all but the oversized message
 * fail the job naming the worker.
 */
class MisbehavingClientTest {
    private static final String SECRET = "misbehaving-client-test-secret";
    private ParameterServer core;
    private ParameterGrpcService service;
    private ParameterClient client;

    @BeforeEach
    void start() throws Exception {
        Network net = Dl4jNetworks.of(FashionMlp.build(10, 5));
        ParamLabels labels = FreezePlan.freezing("pretrained.*").resolve(net.params());
        core = new ParameterServer(ShardLayout.plan(net.params(), labels), net.paramsCopy(), OptimizerConfig.Adam.adam(1e-3));
        service = ParameterGrpcService.start(core, new ParameterGrpcService.Settings(2, SECRET, "127.0.0.1", 0, Tls.PLAINTEXT, 1,
                core.trainableLayout().elements()));
        client = new ParameterClient("127.0.0.1", service.port(), SECRET, Duration.ofSeconds(20));
    }

    @AfterEach
    void stop() {
        client.close();
        service.close();
    }

    private Messages.Push push(int worker, Map<Integer, Long> fingerprints, int gradients) {
        return push(worker, 0, fingerprints, gradients);
    }

    private Messages.Push push(int worker, int taskAttempt, Map<Integer, Long> fingerprints, int gradients) {
        return Messages.Push.of(new Messages.PushHeader(worker, 0, taskAttempt, core.version(), 0, 4, 1.0, "rogue-executor", fingerprints),
                new float[gradients]);
    }

    private void assertJobFailedNaming(ParameterClient.ParameterServiceException refused, String... words) {
        for (String w : words) assertTrue(refused.getMessage().contains(w), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("FAILED_PRECONDITION"), refused.getMessage());
        assertInstanceOf(CheckFailedException.class, service.failure().orElseThrow());
        var later = assertThrows(ParameterClient.ParameterServiceException.class, () -> client.pull(new Messages.Pull(1, 0, 0, "honest")));
        assertTrue(later.getMessage().contains(service.failure().orElseThrow().getMessage()), "every later call is refused");
    }

    @Test
    void aPushWithoutFingerprintsFailsTheJobNamingTheWorker() {
        var refused = assertThrows(ParameterClient.ParameterServiceException.class,
                () -> client.push(push(0, Map.of(), core.trainableLayout().elements())));
        assertJobFailedNaming(refused, "worker 0 (rogue-executor) sent fingerprints of 0 of the", "at step 1");
        assertEquals(0, core.version(), "nothing was applied");
    }

    @Test
    void aPushWithSomeFingerprintsFailsTheJob() {
        Map<Integer, Long> some = new HashMap<>(core.frozenFingerprints());
        some.remove(some.keySet().iterator().next());
        var refused = assertThrows(ParameterClient.ParameterServiceException.class,
                () -> client.push(push(1, some, core.trainableLayout().elements())));
        assertJobFailedNaming(refused, "worker 1", "sent fingerprints of " + some.size() + " of the " + (some.size() + 1));
    }

    @Test
    void aSecondPushForTheSameStepIsRefusedNotSwapped() throws Exception {
        Map<Integer, Long> all = core.frozenFingerprints();
        int n = core.trainableLayout().elements();
        // The first push waits for worker 1, which never comes; the second from worker 0 for the same step is refused.
        try (ParameterClient other = new ParameterClient("127.0.0.1", service.port(), SECRET, Duration.ofSeconds(20))) {
            CompletableFuture<Messages.TrainableValues> first = CompletableFuture.supplyAsync(() -> other.push(push(0, all, n)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (service.pushes() < 1 && System.nanoTime() < deadline) Thread.sleep(20);
            var refused = assertThrows(ParameterClient.ParameterServiceException.class, () -> client.push(push(0, all, n)));
            assertJobFailedNaming(refused, "worker 0 (rogue-executor) pushed twice for step 1");
            var waiting = assertThrows(Exception.class, () -> first.get(10, TimeUnit.SECONDS));
            assertTrue(waiting.getMessage().contains("pushed twice"), "the waiting push is answered with the failure: " + waiting.getMessage());
        }
        assertEquals(0, core.version());
    }

    @Test
    void aRestartedStagesPushReplacesTheOneItsFailedAttemptLeftWaiting() throws Exception {
        Map<Integer, Long> all = core.frozenFingerprints();
        int n = core.trainableLayout().elements();
        try (ParameterClient failed = new ParameterClient("127.0.0.1", service.port(), SECRET, Duration.ofSeconds(20));
             ParameterClient restarted = new ParameterClient("127.0.0.1", service.port(), SECRET, Duration.ofSeconds(20));
             ParameterClient other = new ParameterClient("127.0.0.1", service.port(), SECRET, Duration.ofSeconds(20))) {
            CompletableFuture<Messages.TrainableValues> old = CompletableFuture.supplyAsync(() -> failed.push(push(0, 0, all, n)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (service.pushes() < 1 && System.nanoTime() < deadline) Thread.sleep(20);
            CompletableFuture<Messages.TrainableValues> again = CompletableFuture.supplyAsync(() -> restarted.push(push(0, 1, all, n)));
            var superseded = assertThrows(Exception.class, () -> old.get(10, TimeUnit.SECONDS));
            assertTrue(superseded.getMessage().contains("superseded by task attempt 1"), superseded.getMessage());
            assertEquals(1, other.push(push(1, 1, all, n)).version(), "the step completes with the restarted attempt's push");
            assertEquals(1, again.get(10, TimeUnit.SECONDS).version());
        }
        assertTrue(service.failure().isEmpty(), "a restart is not a failed check");
    }

    @Test
    void aMessageLargerThanTheJobsLargestPushIsRefused() {
        int tooMany = core.trainableLayout().elements() + 2048;
        var refused = assertThrows(ParameterClient.ParameterServiceException.class,
                () -> client.push(push(0, core.frozenFingerprints(), tooMany)));
        assertTrue(refused.getMessage().startsWith("RESOURCE_EXHAUSTED"), refused.getMessage());
        assertEquals(0, core.version());
    }
}
