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
import dev.permafrost.train.LocalTrainer;
import dev.permafrost.train.ThreadEpochRunner;
import dev.permafrost.train.TrainingConfig;
import dev.permafrost.train.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parameter service over TLS, with key and trust stores made by keytool as Spark's SSL would use them. */
@Tag("slow")
class TlsTest {
    @TempDir
    static Path dir;
    static Tls tls;
    static Tls otherTrust;

    @BeforeAll
    static void stores() throws Exception {
        tls = stores("pf");
        otherTrust = stores("other");
    }

    /** A key store with a self-signed certificate for 127.0.0.1 and a trust store holding that certificate. */
    static Tls stores(String name) throws Exception {
        Path ks = dir.resolve(name + "-keystore.p12");
        Path cert = dir.resolve(name + ".crt");
        Path ts = dir.resolve(name + "-truststore.p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit");
        keytool("-exportcert", "-alias", name, "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", name, "-file", cert.toString(), "-keystore", ts.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit");
        return Tls.fromSparkSettings(Map.of("spark.ssl.enabled", "true", "spark.ssl.keyStore", ks.toString(), "spark.ssl.keyStorePassword", "changeit",
                "spark.ssl.keyStoreType", "PKCS12", "spark.ssl.trustStore", ts.toString(), "spark.ssl.trustStorePassword", "changeit",
                "spark.ssl.trustStoreType", "PKCS12"));
    }

    static void keytool(String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("keytool failed: " + out);
    }

    @Test
    void trainingOverTlsEqualsThePlaintextReference() {
        LabeledData data = Fashion.train(600);
        var schedule = FreezeSchedule.constant(FreezePlan.freezing("pretrained.*"));
        var config = new TrainingConfig(2, 16, 1, 3, OptimizerConfig.Adam.adam(1e-3), schedule, ShardLayout.DEFAULT_MAX_SHARD_LENGTH, 5);
        float[] local = new LocalTrainer(config).fit(Dl4jNetworks.of(FashionMlp.build(10, 2)), data, TrainingListener.NONE).server().assemble();
        try (ThreadEpochRunner runner = new ThreadEpochRunner(data, 2)) {
            var r = new DistributedTrainer(config, "127.0.0.1", 1, tls).fit(Dl4jNetworks.of(FashionMlp.build(10, 2)), data.size(), runner,
                    TrainingListener.NONE);
            assertArrayEquals(RawBits.of(local), RawBits.of(r.server().assemble()));
        }
    }

    @Test
    void plaintextAndUntrustedClientsCannotTalkToATlsService() throws Exception {
        var net = Dl4jNetworks.of(FashionMlp.build(10, 2));
        var core = new ParameterServer(ShardLayout.plan(net.params(), ParamLabels.allTrainable(net.params())), net.paramsCopy(),
                OptimizerConfig.Adam.adam(1e-3));
        String secret = Secrets.newSecret();
        try (ParameterGrpcService service = ParameterGrpcService.start(core, 1, secret, "127.0.0.1", 0, tls);
             ParameterClient good = new ParameterClient("127.0.0.1", service.port(), secret, Duration.ofSeconds(10), tls.trust());
             ParameterClient plain = new ParameterClient("127.0.0.1", service.port(), secret, Duration.ofSeconds(10));
             ParameterClient untrusting = new ParameterClient("127.0.0.1", service.port(), secret, Duration.ofSeconds(10), otherTrust.trust())) {
            assertEquals(0, good.pull(new Messages.Pull(0, 0, 0, "worker")).version());
            var p = assertThrows(ParameterClient.ParameterServiceException.class, () -> plain.pull(new Messages.Pull(0, 0, 0, "plain")));
            assertTrue(p.getMessage().startsWith("UNAVAILABLE") || p.getMessage().startsWith("INTERNAL"), p.getMessage());
            var u = assertThrows(ParameterClient.ParameterServiceException.class, () -> untrusting.pull(new Messages.Pull(0, 0, 0, "x")));
            assertTrue(u.getMessage().startsWith("UNAVAILABLE"), u.getMessage());
        }
    }

    @Test
    void sparkSslSettingsDecideAndMissingStoresAreExplained() {
        assertFalse(Tls.fromSparkSettings(Map.of()).enabled());
        assertFalse(Tls.fromSparkSettings(Map.of("spark.ssl.enabled", "false")).enabled());
        var e = assertThrows(IllegalArgumentException.class, () -> Tls.fromSparkSettings(Map.of("spark.ssl.enabled", "true")));
        assertTrue(e.getMessage().contains("spark.ssl.keyStore"), e.getMessage());
        assertTrue(!tls.toString().contains("changeit"), "passwords never printed");
    }
}
