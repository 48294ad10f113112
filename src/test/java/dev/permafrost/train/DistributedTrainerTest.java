package dev.permafrost.train;

import dev.permafrost.data.LabeledData;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.rpc.Messages;
import dev.permafrost.ps.rpc.ParameterClient;
import dev.permafrost.ps.rpc.ParameterGrpcService;
import dev.permafrost.shard.FrozenCopyMismatchException;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The distributed path (service, wire format, per-worker networks) against the single-process reference. */
@Tag("slow")
class DistributedTrainerTest {
    private final LabeledData data = Fashion.train(1500);
    private final FreezeSchedule freezeAtOne = FreezeSchedule.of(new FreezeSchedule.Phase(1, FreezePlan.freezing("pretrained.*")));

    private TrainingConfig config(int workers) {
        return new TrainingConfig(workers, 16, 2, 7, OptimizerConfig.Adam.adam(1e-3), freezeAtOne, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 5);
    }

    @Test
    void workersOverTheServiceEqualTheSingleProcessTrainerBitForBit() {
        for (int w : new int[]{2, 3}) {
            float[] local = new LocalTrainer(config(w)).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), data, TrainingListener.NONE)
                    .server().assemble();
            DistributedTrainer.Result remote;
            try (ThreadEpochRunner runner = new ThreadEpochRunner(data, w)) {
                remote = new DistributedTrainer(config(w), "127.0.0.1", 1).fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), data.size(), runner,
                        TrainingListener.NONE);
            }
            assertArrayEquals(RawBits.of(local), RawBits.of(remote.server().assemble()), "W=" + w);
            assertArrayEquals(RawBits.of(local), RawBits.of(remote.network().paramsCopy()), "W=" + w + " final network");
            assertEquals(remote.steps() * w, remote.pushes());
            assertTrue(remote.audits().size() >= 2L * w, "every task audits at least its first and last push");
        }
    }

    @Test
    void aClientWithTheWrongSecretIsRefused() throws Exception {
        var net = Dl4jNetworks.of(FashionMlp.build(10, 8));
        var core = new ParameterServer(ShardLayout.plan(net.params(), dev.permafrost.freeze.ParamLabels.allTrainable(net.params())),
                net.paramsCopy(), OptimizerConfig.Adam.adam(1e-3));
        try (ParameterGrpcService service = ParameterGrpcService.start(core, 1, "right-secret-0123456789", "127.0.0.1", 0);
             ParameterClient wrong = new ParameterClient("127.0.0.1", service.port(), "wrong-secret-0123456789", Duration.ofSeconds(10));
             ParameterClient right = new ParameterClient("127.0.0.1", service.port(), "right-secret-0123456789", Duration.ofSeconds(10))) {
            var e = assertThrows(ParameterClient.ParameterServiceException.class, () -> wrong.pull(new Messages.Pull(0, 0, 0, "intruder")));
            assertTrue(e.unauthenticated(), e.getMessage());
            assertEquals(0, right.pull(new Messages.Pull(0, 0, 0, "worker")).version());
        }
    }

    @Test
    void aFrozenShardAlteredOnOneExecutorFailsTheJobNamingTheShard() {
        var schedule = FreezeSchedule.constant(FreezePlan.freezing("pretrained.*"));
        var cfg = new TrainingConfig(2, 16, 1, 7, OptimizerConfig.Adam.adam(1e-3), schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 5);
        try (ThreadEpochRunner threads = new ThreadEpochRunner(data, 2)) {
            EpochRunner tampering = new EpochRunner() {
                @Override
                public void publish(WorkerModel model) {
                    threads.publish(model);
                    threads.network(1).writeRange(100, new float[]{42f}, 0, 1); // one element of pretrained.fc1.W on worker 1
                }

                @Override
                public List<RemoteWorker.Report> run(EpochSpec spec) {
                    return threads.run(spec);
                }
            };
            var e = assertThrows(IllegalStateException.class, () -> new DistributedTrainer(cfg, "127.0.0.1", 3)
                    .fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), data.size(), tampering, TrainingListener.NONE));
            assertTrue(e.getMessage().contains("pretrained.fc1.W") && e.getMessage().contains("thread-1")
                    && e.getMessage().contains("step 1"), e.getMessage());
        }
    }

    @Test
    void aFrozenElementChangedOnOneWorkerAtStepKFailsTheJobAtStepKWithExitOne() {
        int k = 17;
        var schedule = FreezeSchedule.constant(FreezePlan.freezing("pretrained.*"));
        var cfg = new TrainingConfig(2, 16, 1, 7, OptimizerConfig.Adam.adam(1e-3), schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 1);
        try (ThreadEpochRunner threads = new ThreadEpochRunner(data, 2)) {
            // Step k-1 has been applied and worker 1 waits for its answer: its network changes before it computes step k.
            TrainingListener tamper = new TrainingListener() {
                @Override
                public void onStep(StepEvent event, Optional<Network> localNetwork) {
                    if (event.version() == k - 1) threads.network(1).writeRange(201_000, new float[]{0.5f}, 0, 1); // pretrained.bn
                }
            };
            var e = assertThrows(FrozenCopyMismatchException.class, () -> new DistributedTrainer(cfg, "127.0.0.1", 3)
                    .fit(Dl4jNetworks.of(FashionMlp.build(10, 8)), data.size(), threads, tamper));
            assertTrue(e.getMessage().contains("changed on executor thread-1 (worker 1) at step " + k)
                    && e.getMessage().contains("pretrained.bn"), e.getMessage());
            assertEquals(1, dev.permafrost.cli.Main.exitCodeOf(e), "a failed check exits 1");
        }
    }
}
