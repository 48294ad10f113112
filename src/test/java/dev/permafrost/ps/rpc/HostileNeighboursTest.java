package dev.permafrost.ps.rpc;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import dev.permafrost.train.DistributedTrainer;
import dev.permafrost.train.EpochRunner;
import dev.permafrost.train.ThreadEpochRunner;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Neighbours of the parameter service without the job's secret: thousands of idle and garbage connections and calls
 * with a wrong secret during a run leave its result bit-identical to an undisturbed run's; the service holds no more
 * connections than its caps and closes a silent one at its authentication deadline.
 */
class HostileNeighboursTest {
    private static final String SECRET = "hostile-neighbours-test-secret";

    @Test
    @Tag("slow")
    void aRunUnderAFloodOfIdleAndGarbageConnectionsEndsBitIdenticalToAnUndisturbedOne() throws Exception {
        LabeledData data = Fashion.train(1200);
        TrainingConfig config = new TrainingConfig(2, 16, 2, 7, OptimizerConfig.Adam.adam(1e-3),
                FreezeSchedule.of(new FreezeSchedule.Phase(1, FreezePlan.freezing("pretrained.*"))), ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        DistributedTrainer.Result quiet;
        try (ThreadEpochRunner runner = new ThreadEpochRunner(data, 2)) {
            quiet = new DistributedTrainer(config, "127.0.0.1", 1).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), data.size(), runner,
                    TrainingListener.NONE);
        }
        assertEquals(0, quiet.refusals().connections());

        DistributedTrainer.Result flooded;
        try (ThreadEpochRunner threads = new ThreadEpochRunner(data, 2); Flood flood = new Flood()) {
            EpochRunner underFlood = dev.permafrost.testing.EpochRunners.beforeEachEpoch(threads, spec -> {
                // From the workers' own address, before they connect: every place is taken when they come.
                flood.burst("127.0.0.1", spec.port(), 1500);
                // From another address of the host, all through the epoch, with calls bearing a wrong secret.
                flood.startBackground("127.0.0.2", spec.port());
            });
            // maxEpochTries 1: a worker turned away would fail the run, not be retried into passing.
            flooded = new DistributedTrainer(config, "127.0.0.1", 1).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), data.size(), underFlood,
                    TrainingListener.NONE);
            assertTrue(flood.opened.get() >= 3000, "connections opened: " + flood.opened.get());
        }
        assertArrayEquals(RawBits.of(quiet.server().assemble()), RawBits.of(flooded.server().assemble()));
        assertEquals(0, flooded.resubmissions());
        ConnectionGate.Refusals r = flooded.refusals();
        assertTrue(r.connections() >= 2900, "turned away: " + r);
        assertTrue(r.callsRefused() >= 1, "the wrong-secret calls: " + r);
    }

    @Test
    @Tag("slow")
    void theServiceHoldsNoMoreThanItsCapsAndClosesASilentConnectionAtItsDeadline() throws Exception {
        var net = Dl4jNetworks.of(FashionMlp.build(10, 8));
        var core = new ParameterServer(ShardLayout.plan(net.params(), ParamLabels.allTrainable(net.params())), net.paramsCopy(),
                OptimizerConfig.Adam.adam(1e-3));
        var settings = new ParameterGrpcService.Settings(2, SECRET, "127.0.0.1", 0, Tls.PLAINTEXT, 1, core.trainableLayout().elements(),
                Duration.ofMillis(300));
        try (ParameterGrpcService service = ParameterGrpcService.start(core, settings); Flood flood = new Flood()) {
            flood.burst("127.0.0.1", service.port(), 200);
            int cap = ConnectionGate.Limits.forWorkers(2, 1).perPeer();
            assertTrue(service.connectionsHeld() <= cap, service.connectionsHeld() + " held, cap " + cap);
            // A silent connection is closed by the service at the deadline: its read ends.
            try (Socket silent = new Socket()) {
                silent.connect(new InetSocketAddress("127.0.0.1", service.port()), 2000);
                silent.setSoTimeout(20_000);
                long started = System.nanoTime();
                // The service speaks first (its HTTP/2 settings), then closes: the stream ends.
                var in = silent.getInputStream();
                while (in.read() >= 0) {
                    assertTrue(System.nanoTime() - started < 15_000_000_000L, "still open after 15 s");
                }
                assertTrue(System.nanoTime() - started < 15_000_000_000L);
            }
            assertTrue(service.refusals().connectionsExpired() >= 1, service.refusals().toString());
            // A worker with the secret still gets in and is served.
            try (ParameterClient worker = new ParameterClient("127.0.0.1", service.port(), SECRET, Duration.ofSeconds(30))) {
                assertEquals(0, worker.pull(new dev.permafrost.ps.rpc.Messages.Pull(0, 0, 0, "worker")).version());
            }
        }
    }

    /** Idle sockets, sockets sending garbage, and gRPC calls with a wrong secret, from this host. */
    static final class Flood implements AutoCloseable {
        final AtomicInteger opened = new AtomicInteger();
        private final List<Socket> sockets = new ArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private Thread background;
        private final Random random = new Random(3);

        synchronized void burst(String from, int port, int n) {
            for (int i = 0; i < n; i++) {
                try {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress(from, 0));
                    s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    if (i % 2 == 1) {
                        byte[] garbage = new byte[64 + random.nextInt(512)];
                        random.nextBytes(garbage);
                        s.getOutputStream().write(garbage);
                    }
                    sockets.add(s);
                    opened.incrementAndGet();
                } catch (IOException refusedOrReset) {
                    opened.incrementAndGet();
                }
                if (sockets.size() >= 500) closeAll(); // this side's descriptors stay bounded too
            }
        }

        synchronized void startBackground(String from, int port) {
            if (background != null) return;
            background = new Thread(() -> {
                try (ParameterClient intruder = new ParameterClient("127.0.0.1", port, "not-the-secret-0123456789", Duration.ofSeconds(5))) {
                    while (!stop.get()) {
                        burst(from, port, 100);
                        try {
                            intruder.pull(new dev.permafrost.ps.rpc.Messages.Pull(0, 0, 0, "intruder"));
                        } catch (RuntimeException refused) {
                            // expected: UNAUTHENTICATED, or turned away at a cap
                        }
                    }
                }
            }, "flood");
            background.setDaemon(true);
            background.start();
        }

        private void closeAll() {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // gone already
                }
            }
            sockets.clear();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            if (background != null) background.join(30_000);
            synchronized (this) {
                closeAll();
            }
        }
    }
}
