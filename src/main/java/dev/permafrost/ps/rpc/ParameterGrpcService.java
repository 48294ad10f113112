package dev.permafrost.ps.rpc;

import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.WorkerPush;
import dev.permafrost.shard.Fingerprint;
import dev.permafrost.shard.Shard;
import dev.permafrost.shard.ShardLayout;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The parameter server as a network service. A pull returns the trainable values of the current version; a push
 * waits until all W workers have pushed for that version, then the core applies one step and every waiting push
 * is answered with the next version's values: one round trip per step. A push may carry the executor's frozen
 * fingerprints; a mismatch fails the job at once, naming the executor, shard and step. Every call must present the
 * job's secret.
 */
public final class ParameterGrpcService implements AutoCloseable {
    private final ParameterServer core;
    private final int workers;
    private final Server server;
    private final Map<Integer, Pending> pending = new TreeMap<>();
    private final List<AuditRecord> audits = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong bytesPushed = new AtomicLong();
    private final AtomicLong pushes = new AtomicLong();
    private int phase;
    private int submission;
    private Map<Integer, Long> canonical;
    private volatile Optional<String> failure = Optional.empty();
    private volatile java.util.function.Consumer<ParameterServer.StepReport> onStep = r -> { };

    private record Pending(Messages.Push push, StreamObserver<byte[]> reply) {
    }

    private ParameterGrpcService(ParameterServer core, int workers, String secret, String host, int port, Tls tls) throws IOException {
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        this.core = core;
        this.workers = workers;
        this.canonical = core.frozenFingerprints();
        ServerServiceDefinition service = ServerServiceDefinition.builder(Rpc.SERVICE)
                .addMethod(Rpc.PULL, ServerCalls.asyncUnaryCall(this::pull))
                .addMethod(Rpc.PUSH, ServerCalls.asyncUnaryCall(this::push))
                .build();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .maxInboundMessageSize(Rpc.MAX_MESSAGE_BYTES)
                .addService(ServerInterceptors.intercept(service, new SecretCheck(secret)));
        if (tls.enabled()) builder.sslContext(tls.server());
        this.server = builder.build().start();
    }

    /** Starts the service on {@code host} in plaintext; port 0 picks a free port. */
    public static ParameterGrpcService start(ParameterServer core, int workers, String secret, String host, int port) throws IOException {
        return new ParameterGrpcService(core, workers, secret, host, port, Tls.PLAINTEXT);
    }

    /** Starts the service, with TLS when {@code tls} is enabled. */
    public static ParameterGrpcService start(ParameterServer core, int workers, String secret, String host, int port, Tls tls)
            throws IOException {
        return new ParameterGrpcService(core, workers, secret, host, port, tls);
    }

    public int port() {
        return server.getPort();
    }

    /**
     * Moves to the next freeze phase after the core was relabelled: pushes of the old phase are refused from now on.
     */
    public synchronized void startPhase(int newPhase) {
        if (!pending.isEmpty()) throw new IllegalStateException("cannot change phase with " + pending.size() + " pushes waiting");
        this.phase = newPhase;
        this.canonical = core.frozenFingerprints();
    }

    /** Called after every step, on the thread that completed it: keep it short. */
    public void onStep(java.util.function.Consumer<ParameterServer.StepReport> listener) {
        this.onStep = listener;
    }

    /**
     * Starts a new submission of an epoch's tasks: pushes still waiting from a failed one are answered with an error
     * (their tasks end instead of holding task slots), and calls from older submissions are refused from now on.
     */
    public void startSubmission(int newSubmission) {
        synchronized (this) {
            if (newSubmission <= submission && newSubmission != 0) {
                throw new IllegalArgumentException("submission " + newSubmission + " is not after " + submission);
            }
            submission = newSubmission;
        }
        abortWaiting(Status.ABORTED.withDescription("superseded by submission " + newSubmission).asRuntimeException());
    }

    /** Why the job must stop; empty while it may go on. */
    public Optional<String> failure() {
        return failure;
    }

    public List<AuditRecord> audits() {
        synchronized (audits) {
            return List.copyOf(audits);
        }
    }

    public long bytesPushed() {
        return bytesPushed.get();
    }

    public long pushes() {
        return pushes.get();
    }

    private void pull(byte[] request, StreamObserver<byte[]> reply) {
        try {
            Messages.Pull pull = Messages.decodePull(request);
            synchronized (this) {
                requireHealthy();
                requireSubmission(pull.submission(), pull.worker());
                requirePhase(pull.phase(), pull.worker());
                reply.onNext(Messages.encode(trainableValues()));
            }
            reply.onCompleted();
        } catch (StatusRuntimeException e) {
            reply.onError(e);
        } catch (RuntimeException e) {
            reply.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    private void push(byte[] request, StreamObserver<byte[]> reply) {
        List<Pending> ready = null;
        byte[] answer = null;
        StatusRuntimeException error = null;
        try {
            Messages.Push push = Messages.decodePush(request);
            bytesPushed.addAndGet(request.length);
            pushes.incrementAndGet();
            synchronized (this) {
                requireHealthy();
                requireSubmission(push.submission(), push.worker());
                requirePhase(push.phase(), push.worker());
                if (push.worker() < 0 || push.worker() >= workers) {
                    throw Status.INVALID_ARGUMENT.withDescription("worker " + push.worker() + " is outside 0.." + (workers - 1)).asRuntimeException();
                }
                if (push.version() != core.version()) {
                    throw Status.ABORTED.withDescription("worker " + push.worker() + " pushed for version " + push.version()
                            + "; the server is at version " + core.version() + ": pull and continue from there").asRuntimeException();
                }
                audit(push);
                // A retried task replaces the push its failed submission left behind.
                pending.put(push.worker(), new Pending(push, reply));
                if (pending.size() == workers) {
                    ready = new ArrayList<>(pending.values());
                    pending.clear();
                    try {
                        ParameterServer.StepReport report = core.step(toWorkerPushes(ready));
                        answer = Messages.encode(trainableValues());
                        onStep.accept(report);
                    } catch (RuntimeException e) {
                        failure = Optional.of(String.valueOf(e.getMessage()));
                        error = Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException();
                    }
                }
            }
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) abortWaiting(e);
            reply.onError(e);
            return;
        } catch (RuntimeException e) {
            reply.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        if (ready != null) {
            for (Pending p : ready) respond(p.reply(), answer, error);
        }
    }

    private void audit(Messages.Push push) {
        if (push.fingerprints().isEmpty()) return;
        ShardLayout layout = core.layout();
        for (var e : push.fingerprints().entrySet()) {
            Long expected = canonical.get(e.getKey());
            if (expected == null) {
                throw failJob("executor " + push.executor() + " (worker " + push.worker() + ") reported shard " + e.getKey()
                        + " as frozen at step " + (core.version() + 1) + ", but it is not frozen in phase " + phase);
            }
            if (!expected.equals(e.getValue())) {
                Shard s = layout.shards().get(e.getKey());
                throw failJob("frozen " + s.describe() + " changed on executor " + push.executor() + " (worker " + push.worker()
                        + ") at step " + (core.version() + 1) + ": fingerprint " + Fingerprint.hex(e.getValue())
                        + ", canonical " + Fingerprint.hex(expected));
            }
        }
        audits.add(new AuditRecord(push.executor(), push.worker(), core.version(), push.fingerprints().size()));
    }

    private StatusRuntimeException failJob(String message) {
        failure = Optional.of(message);
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
    }

    /** Answers every waiting push with {@code e}, so no task stays blocked on a step that will not come. */
    private void abortWaiting(StatusRuntimeException e) {
        List<Pending> waiting;
        synchronized (this) {
            waiting = new ArrayList<>(pending.values());
            pending.clear();
        }
        for (Pending p : waiting) respond(p.reply(), null, e);
    }

    private static void respond(StreamObserver<byte[]> reply, byte[] answer, StatusRuntimeException error) {
        try {
            if (error != null) {
                reply.onError(error);
            } else {
                reply.onNext(answer);
                reply.onCompleted();
            }
        } catch (RuntimeException cancelled) {
            // The caller is gone (a killed task): nothing to answer.
        }
    }

    private void requireHealthy() {
        if (failure.isPresent()) throw Status.FAILED_PRECONDITION.withDescription(failure.get()).asRuntimeException();
    }

    private void requireSubmission(int presented, int worker) {
        if (presented != submission) {
            throw Status.ABORTED.withDescription("worker " + worker + " belongs to submission " + presented + "; the driver is now at "
                    + "submission " + submission).asRuntimeException();
        }
    }

    private void requirePhase(int p, int worker) {
        if (p != phase) {
            throw Status.FAILED_PRECONDITION.withDescription("worker " + worker + " is in freeze phase " + p + ", the server in phase "
                    + phase).asRuntimeException();
        }
    }

    private Messages.TrainableValues trainableValues() {
        return new Messages.TrainableValues(core.version(), phase, core.trainableValues());
    }

    private static List<WorkerPush> toWorkerPushes(List<Pending> ready) {
        List<WorkerPush> out = new ArrayList<>(ready.size());
        for (Pending p : ready) {
            Messages.Push push = p.push();
            out.add(new WorkerPush(push.worker(), push.version(), push.samples(), push.lossSum(), push.gradientSums()));
        }
        return out;
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Refuses every call that does not present the job's secret. */
    private static final class SecretCheck implements ServerInterceptor {
        private final String secret;

        SecretCheck(String secret) {
            if (secret == null || secret.length() < 16) throw new IllegalArgumentException("the job secret must have at least 16 characters");
            this.secret = secret;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            if (!Secrets.matches(secret, headers.get(Rpc.SECRET))) {
                call.close(Status.UNAUTHENTICATED.withDescription("wrong or missing job secret"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }
    }
}
