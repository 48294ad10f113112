package dev.permafrost.train;

import dev.permafrost.ps.rpc.Tls;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every task receives: the secret is never printed, and no key-store password is shipped at all. */
class EpochSpecTest {

    @Test
    void theSecretIsNeverPrintedAndExecutorsGetOnlyTheTrustStore() throws Exception {
        Tls tls = Tls.fromSparkSettings(Map.of("spark.ssl.enabled", "true", "spark.ssl.keyStore", "/keys/driver.jks",
                "spark.ssl.keyStorePassword", "key-store-pass-7", "spark.ssl.keyPassword", "key-pass-9",
                "spark.ssl.trustStore", "/keys/trust.jks", "spark.ssl.trustStorePassword", "trust-pass-3"));
        String secret = "0123456789abcdef-the-job-secret";
        EpochSpec spec = new EpochSpec(3, 2, 1, 100, 2, 32, 42, 1000, "driver-host", 4242, secret, tls.trust(), 1,
                EpochSpec.DEFAULT_CALL_TIMEOUT);
        assertFalse(spec.toString().contains(secret), spec.toString());
        assertFalse(tls.toString().contains("pass"), tls.toString());
        assertFalse(tls.trust().toString().contains("pass"), tls.trust().toString());

        // What Spark ships to an executor: Java-serialized spec bytes hold the trust store, never the key store's passwords.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(spec);
        }
        String shipped = bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(shipped.contains("/keys/trust.jks"));
        assertFalse(shipped.contains("key-store-pass-7") || shipped.contains("key-pass-9") || shipped.contains("/keys/driver.jks"), shipped);
    }
}
