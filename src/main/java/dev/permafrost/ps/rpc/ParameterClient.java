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

    public Messages.TrainableValues pull(Messages.Pull pull) {
        return Messages.decodeTrainableValues(call(Rpc.PULL, Messages.encode(pull)));
    }

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
            return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS), request);
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
