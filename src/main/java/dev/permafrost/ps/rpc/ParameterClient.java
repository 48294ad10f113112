package dev.permafrost.ps.rpc;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A worker's connection to the parameter service. */
public final class ParameterClient implements AutoCloseable {
    private final ManagedChannel channel;
    private final Duration timeout;

    public ParameterClient(String host, int port, String secret, Duration timeout) {
        this(host, port, secret, timeout, TlsTrust.PLAINTEXT);
    }

    /**
     * A client speaking TLS when {@code tls} is enabled (the job's service then serves TLS too). Every call waits at
     * most {@code timeout}: a push waits for the slowest worker's step, so it must cover one step of the slowest worker.
     */
    public ParameterClient(String host, int port, String secret, Duration timeout, TlsTrust tls) {
        Metadata headers = new Metadata();
        headers.put(Rpc.SECRET, secret);
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(host, port)
                .maxInboundMessageSize(Rpc.MAX_MESSAGE_BYTES)
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        if (tls.enabled()) builder.sslContext(tls.client());
        else builder.usePlaintext();
        this.channel = builder.build();
        this.timeout = timeout;
    }

    /**
     * Pulls the current trainable values. A pull changes nothing on the service, so one the service turned away (its
     * connection caps held by a neighbour's connections, see {@link ConnectionGate}) is tried again with backoff, for
     * up to {@link #PULL_PATIENCE} or the call timeout, whichever is shorter; a TLS failure is not.
     */
    public Messages.TrainableValues pull(Messages.Pull pull) {
        byte[] request = Messages.encode(pull);
        long patience = Math.min(PULL_PATIENCE.toNanos(), timeout.toNanos());
        long started = System.nanoTime();
        long backoffMillis = 50;
        for (int tries = 1; ; tries++) {
            try {
                return Messages.decodeTrainableValues(call(Rpc.PULL, request));
            } catch (ParameterServiceException e) {
                boolean turnedAway = e.getCause() instanceof StatusRuntimeException s && s.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
                        && !String.valueOf(s.getStatus().getCause()).contains("SSL") && !String.valueOf(s.getStatus().getDescription()).contains("SSL");
                if (!turnedAway || System.nanoTime() - started + backoffMillis * 1_000_000 > patience) {
                    if (tries > 1) e.addSuppressed(new IllegalStateException("the pull was tried " + tries + " times"));
                    throw e;
                }
            }
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while retrying a pull", e);
            }
            backoffMillis = Math.min(1000, backoffMillis * 2);
        }
    }

    /** How long a pull the service turned away is tried again. */
    public static final Duration PULL_PATIENCE = Duration.ofSeconds(30);

    /** Pushes one step's gradients and returns the next version's trainable values once all workers have pushed. */
    public Messages.TrainableValues push(Messages.Push push) {
        return push(Messages.encode(push));
    }

    /** The same for a push already encoded (by {@link Messages#encode(Messages.PushHeader, int, Messages.GradientWriter)}). */
    public Messages.TrainableValues push(byte[] encodedPush) {
        return Messages.decodeTrainableValues(call(Rpc.PUSH, encodedPush));
    }

    private byte[] call(io.grpc.MethodDescriptor<byte[], byte[]> method, byte[] request) {
        try {
            return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS),
                    request);
        } catch (StatusRuntimeException e) {
            throw new ParameterServiceException(e.getStatus().getCode() + ": " + e.getStatus().getDescription(), e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The service refused or failed a call; the message is the server's reason. */
    public static final class ParameterServiceException extends IllegalStateException {
        public ParameterServiceException(String message, Throwable cause) {
            super(message, cause);
        }

        public boolean unauthenticated() {
            return getCause() instanceof StatusRuntimeException s && s.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED;
        }
    }
}
