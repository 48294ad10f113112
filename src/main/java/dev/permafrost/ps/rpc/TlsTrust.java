package dev.permafrost.ps.rpc;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.io.Serializable;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * What a client of the parameter service needs for TLS, and all that is shipped to executors: the trust store that
 * checks the driver's certificate. The key store and its passwords stay on the driver.
 */
public record TlsTrust(String trustStore, String trustStorePassword, String trustStoreType) implements Serializable {

    /** No TLS: plaintext on a trusted network. */
    public static final TlsTrust PLAINTEXT = new TlsTrust("", "", "");

    public boolean enabled() {
        return !trustStore.isEmpty();
    }

    SslContext client() {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(Tls.load(trustStore, trustStorePassword, trustStoreType));
            return GrpcSslContexts.forClient().trustManager(tmf).build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot set up TLS with trust store " + trustStore + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot read trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return enabled() ? "TlsTrust[trustStore=" + trustStore + "]" : "TlsTrust[plaintext]"; // never the password
    }
}
