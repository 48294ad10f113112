package dev.permafrost.ps.rpc;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;

/**
 * TLS for the parameter service, from the same key and trust stores Spark's own SSL uses ({@code spark.ssl.*}): the
 * driver serves with the key store; executors get only {@link #trust()}, never the key store or its passwords. The
 * stores must exist at these paths on every node, as Spark's SSL requires anyway. Lives on the driver only.
 */
public record Tls(String keyStore, String keyStorePassword, String keyPassword, String keyStoreType, TlsTrust trust) {

    /** No TLS: the service and its clients speak plaintext, for a trusted network. */
    public static final Tls PLAINTEXT = new Tls("", "", "", "", TlsTrust.PLAINTEXT);

    /** TLS settings when {@code spark.ssl.enabled} is true, else {@link #PLAINTEXT}. */
    public static Tls fromSparkSettings(Map<String, String> conf) {
        if (!Boolean.parseBoolean(conf.getOrDefault("spark.ssl.enabled", "false"))) return PLAINTEXT;
        String ks = conf.get("spark.ssl.keyStore");
        String ts = conf.get("spark.ssl.trustStore");
        if (ks == null || ks.isBlank() || ts == null || ts.isBlank()) {
            throw new IllegalArgumentException("spark.ssl.enabled is true but spark.ssl.keyStore or spark.ssl.trustStore is not set: the "
                    + "parameter service serves TLS with Spark's key store and executors check it with Spark's trust store");
        }
        String ksPass = conf.getOrDefault("spark.ssl.keyStorePassword", "");
        return new Tls(ks, ksPass, conf.getOrDefault("spark.ssl.keyPassword", ksPass), conf.getOrDefault("spark.ssl.keyStoreType", "JKS"),
                new TlsTrust(ts, conf.getOrDefault("spark.ssl.trustStorePassword", ""), conf.getOrDefault("spark.ssl.trustStoreType", "JKS")));
    }

    public boolean enabled() {
        return !keyStore.isEmpty();
    }

    /** Loads both stores now, so a wrong path or password fails before a job touches anything. */
    public void requireUsable() {
        if (!enabled()) return;
        server();
        trust.client();
    }

    SslContext server() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(keyStore, keyStorePassword, keyStoreType), keyPassword.toCharArray());
            return GrpcSslContexts.configure(SslContextBuilder.forServer(kmf)).build();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot serve TLS with key store " + keyStore + ": " + e.getMessage(), e);
        }
    }

    static KeyStore load(String path, String password, String type) throws GeneralSecurityException, IOException {
        Path p = Path.of(path);
        if (!Files.isRegularFile(p)) throw new IOException(path + " does not exist on this node");
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(p)) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }

    @Override
    public String toString() {
        if (!enabled()) return "Tls[plaintext]";
        return "Tls[keyStore=" + keyStore + ", trustStore=" + trust.trustStore() + "]"; // never the passwords
    }
}
