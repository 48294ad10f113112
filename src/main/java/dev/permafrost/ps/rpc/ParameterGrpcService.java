package dev.permafrost.ps.rpc;

import dev.permafrost.ps.CheckedPush;
import dev.permafrost.ps.GatePush;
import dev.permafrost.ps.ParameterServer;
import dev.permafrost.ps.StepGate;
import dev.permafrost.ps.StepTimes;
import dev.permafrost.ps.WorkerPush;
import dev.permafrost.shard.CheckFailedException;
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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The parameter server as a network service. A pull returns the trainable values of the current version; a push
 * waits until all W workers have pushed for that version, then the core applies one step and every waiting push
 * is answered with the next version's values: one round trip per step. A push carries the fingerprint of every frozen
 * shard of the phase: on every step by default, else on the steps the audit setting names, and always all of them or
 * none. A missing or different fingerprint, a second push for the same step, or a non-finite gradient fails the job at
 * once, naming the worker, executor, shard and step. Every call must present the job's secret, and no message may be
 * larger than the job's largest push.
 */
public final class ParameterGrpcService implements AutoCloseable {
    private final ParameterServer core;
    private final int workers;
    private final Server server;
    private final ConnectionGate connections;
    private final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup boss;
    private final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup transport;
    private final AtomicLong bytesPushed = new AtomicLong();
    private final AtomicLong pushes = new AtomicLong();
    /** The step's rules: submissions, phases, pending pushes, attempts, the fingerprint audit, the W-th push. */
    private final StepGate<StreamObserver<byte[]>> steps;
    private volatile java.util.function.Consumer<ParameterServer.StepReport> onStep = r -> { };
    /** The driver's share of every step; guarded by this service's lock. */
    private final StepTimes.Clock clock = new StepTimes.Clock();
    /** From each submission to its first pull: routing rows, shipping the model, starting tasks and building networks. */
    private long submittedAt;
    private boolean firstPullSeen = true;
    private long taskStartNanos;

    /**
     * How the service runs.
     *
     * @param port                 0 picks a free port
     * @param auditEvery           pushes must carry every frozen fingerprint on steps divisible by this (1: every step)
     * @param maxTrainableElements the most trainable elements any phase has: it bounds the size of an inbound message
     */
    public record Settings(int workers, String secret, String host, int port, Tls tls, int auditEvery, int maxTrainableElements,
                           java.time.Duration authDeadline) {
        /** How long a new connection has to make its first call with the job's secret. */
        public static final java.time.Duration AUTH_DEADLINE = java.time.Duration.ofSeconds(10);

        public Settings(int workers, String secret, String host, int port, Tls tls, int auditEvery, int maxTrainableElements) {
            this(workers, secret, host, port, tls, auditEvery, maxTrainableElements, AUTH_DEADLINE);
        }

        @Override
        public String toString() {
            // Never the secret.
            return "Settings[workers=" + workers + ", host=" + host + ", port=" + port + ", tls=" + tls + ", auditEvery=" + auditEvery
                    + ", maxTrainableElements=" + maxTrainableElements + "]";
        }

        public Settings {
            if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
            if (auditEvery < 1) throw new IllegalArgumentException("auditEvery must be >= 1, got " + auditEvery);
            if (maxTrainableElements < 0) throw new IllegalArgumentException("maxTrainableElements must be >= 0");
        }

        /** The largest push this job can send: its gradient floats, plus fingerprints, the executor's name and fixed fields. */
        int maxMessageBytes(int shards) {
            long bytes = 4L * maxTrainableElements + 12L * shards + MAX_HEADER_BYTES;
            return (int) Math.min(bytes, Rpc.MAX_MESSAGE_BYTES);
        }
    }

    /** Fixed fields and an executor name of up to about 4 KB. */
    private static final int MAX_HEADER_BYTES = 4096;

    private ParameterGrpcService(ParameterServer core, Settings settings) throws IOException {
        this.core = core;
        this.workers = settings.workers();
        this.steps = new StepGate<>(core, settings.workers(), settings.auditEvery());
        ServerServiceDefinition service = ServerServiceDefinition.builder(Rpc.SERVICE)
                .addMethod(Rpc.PULL, ServerCalls.asyncUnaryCall(this::pull))
                .addMethod(Rpc.PUSH, ServerCalls.asyncUnaryCall(this::push))
                .build();
        // Handlers run on the transport's own threads: they only check, record and, on a step's last push, compute the
        // step; handing each call to another thread first cost a thread switch per call on small machines.
        // Connections pass the gate at accept (caps, authentication deadline) on NIO event loops of the service's own.
        this.connections = new ConnectionGate(ConnectionGate.Limits.forWorkers(settings.workers(), settings.authDeadline().toNanos()), System::nanoTime,
                System.err::println, TimeUnit.SECONDS.toNanos(10));
        this.boss = new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(1);
        this.transport = new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(2 * Runtime.getRuntime().availableProcessors());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()))
                .channelFactory(() -> new GatedServerChannel(connections))
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(transport)
                .directExecutor()
                .maxInboundMessageSize(settings.maxMessageBytes(core.layout().shards().size()))
                .addService(ServerInterceptors.intercept(service, new SecretCheck(settings.secret(), connections)));
        if (settings.tls().enabled()) builder.sslContext(settings.tls().server());
        this.server = builder.build().start();
    }

    /** Starts the service on {@code host} in plaintext with an audit on every step; port 0 picks a free port. */
    public static ParameterGrpcService start(ParameterServer core, int workers, String secret, String host, int port) throws IOException {
        return start(core, workers, secret, host, port, Tls.PLAINTEXT);
    }

    /** The same, with TLS when {@code tls} is enabled. */
    public static ParameterGrpcService start(ParameterServer core, int workers, String secret, String host, int port, Tls tls)
            throws IOException {
        return start(core, new Settings(workers, secret, host, port, tls, 1, core.trainableLayout().elements()));
    }

    public static ParameterGrpcService start(ParameterServer core, Settings settings) throws IOException {
        return new ParameterGrpcService(core, settings);
    }

    public int port() {
        return server.getPort();
    }

    /**
     * Moves to the next freeze phase after the core was relabelled: pushes of the old phase are refused from now on.
     */
    public synchronized void startPhase(int newPhase) {
        steps.startPhase(newPhase);
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
        List<StreamObserver<byte[]>> waiting;
        synchronized (this) {
            waiting = steps.startSubmission(newSubmission);
            submittedAt = System.nanoTime();
            firstPullSeen = false;
        }
        StatusRuntimeException superseded = Status.ABORTED.withDescription("superseded by submission " + newSubmission).asRuntimeException();
        for (var reply : waiting) respond(reply, null, superseded);
    }

    /** Why the job must stop; empty while it may go on. */
    public Optional<CheckFailedException> failure() {
        return steps.failure();
    }

    /** Every push whose frozen fingerprints were checked and matched. */
    public List<CheckedPush> audits() {
        return steps.audits();
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
                steps.requireCurrent(pull.submission(), pull.phase(), pull.worker());
                if (!firstPullSeen) {
                    firstPullSeen = true;
                    taskStartNanos += System.nanoTime() - submittedAt;
                }
                reply.onNext(encodeTrainableValues());
            }
            reply.onCompleted();
        } catch (RuntimeException e) {
            reply.onError(status(e));
        }
    }

    /**
     * Hands a push to the gate; on the step's W-th push, times the step, encodes the answer once and answers every push
     * of the step with it. The transport's part only: what a push may do is the gate's.
     */
    private void push(byte[] request, StreamObserver<byte[]> reply) {
        StepGate.Outcome<StreamObserver<byte[]>> outcome;
        byte[] answer = null;
        int attempt;
        Optional<CheckFailedException> afterStep = Optional.empty();
        try {
            Messages.Push received = Messages.decodePush(request);
            Messages.PushHeader h = received.header();
            attempt = h.taskAttempt();
            bytesPushed.addAndGet(request.length);
            pushes.incrementAndGet();
            GatePush push = new GatePush(h.worker(), h.submission(), h.taskAttempt(), h.version(), h.phase(), h.executor(), h.fingerprints(),
                    new WorkerPush(h.worker(), h.version(), h.samples(), h.lossSum(), received.gradientSums()));
            synchronized (this) {
                outcome = steps.push(push, reply);
                if (outcome.report().isPresent()) {
                    try {
                        ParameterServer.StepReport report = outcome.report().get();
                        clock.lap(StepTimes.Part.WAIT_FOR_WORKERS, outcome.firstPushNanos());
                        clock.add(StepTimes.Part.SUM, report.sumNanos());
                        clock.add(StepTimes.Part.OPTIMIZER, report.optimizerNanos());
                        long encodeFrom = System.nanoTime();
                        answer = encodeTrainableValues();
                        long encoded = clock.lap(StepTimes.Part.ENCODE_ANSWER, encodeFrom);
                        onStep.accept(report);
                        clock.lap(StepTimes.Part.CHECKPOINT_SNAPSHOT, encoded);
                        clock.countStep();
                    } catch (RuntimeException e) {
                        // After the step (the answer, progress, a snapshot): every push of the step is answered with it.
                        CheckFailedException check = e instanceof CheckFailedException c ? c : new CheckFailedException(e.getMessage());
                        afterStep = Optional.of(steps.fail(check));
                    }
                }
            }
        } catch (RuntimeException e) {
            StatusRuntimeException status = status(e);
            // The job cannot go on (a failed check, another freeze phase): no waiting push may wait for a step.
            if (status.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) abortWaiting(status);
            reply.onError(status);
            return;
        }
        StatusRuntimeException superseded = Status.ABORTED.withDescription("superseded by task attempt " + attempt).asRuntimeException();
        for (var r : outcome.superseded()) respond(r, null, superseded);
        Optional<CheckFailedException> stepFailed = outcome.stepFailure().isPresent() ? outcome.stepFailure() : afterStep;
        Optional<StatusRuntimeException> failed = stepFailed.map(f -> Status.FAILED_PRECONDITION.withDescription(f.getMessage()).asRuntimeException());
        for (var r : outcome.ready()) respond(r, answer, failed);
    }

    /** The status a refused or failed call gets: a failed check stops the job; a stale call is aborted; the rest are invalid. */
    private static StatusRuntimeException status(RuntimeException e) {
        if (e instanceof StatusRuntimeException s) return s;
        if (e instanceof CheckFailedException) return Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException();
        if (e instanceof StepGate.Refused r) {
            Status code = switch (r.kind()) {
                case STALE -> Status.ABORTED;
                case PHASE -> Status.FAILED_PRECONDITION;
                case INVALID -> Status.INVALID_ARGUMENT;
            };
            return code.withDescription(e.getMessage()).asRuntimeException();
        }
        return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }

    /** Answers every waiting push with {@code e}, so no task stays blocked on a step that will not come. */
    private void abortWaiting(StatusRuntimeException e) {
        for (var reply : steps.drain()) respond(reply, null, e);
    }

    private static void respond(StreamObserver<byte[]> reply, byte[] answer, StatusRuntimeException error) {
        respond(reply, answer, Optional.of(error));
    }

    /** Answers one call: with {@code error} when present, else with {@code answer}. */
    private static void respond(StreamObserver<byte[]> reply, byte[] answer, Optional<StatusRuntimeException> error) {
        try {
            if (error.isPresent()) {
                reply.onError(error.get());
            } else {
                reply.onNext(answer);
                reply.onCompleted();
            }
        } catch (RuntimeException cancelled) {
            // The caller is gone (a killed task): nothing to answer.
        }
    }

    /** The current version's answer: the core's packed values copied once, into the message. */
    private byte[] encodeTrainableValues() {
        long version = core.version();
        return core.readTrainableValues(values -> Messages.encodeTrainableValues(version, steps.phase(), values));
    }

    /** Time from submitting each epoch's tasks to the first of them pulling, summed over submissions. */
    public synchronized long taskStartNanos() {
        return taskStartNanos;
    }

    /** The driver's share of the steps so far: waiting for pushes, summing, the optimizer, the answer, snapshots. */
    public synchronized StepTimes stepTimes() {
        return clock.total();
    }


    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            transport.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** What the connection gate refused so far. */
    public ConnectionGate.Refusals refusals() {
        return connections.refusals();
    }

    /** Connections held now (workers', and others' until their authentication deadline). */
    public int connectionsHeld() {
        return connections.held();
    }

    /** Refuses every call that does not present the job's secret. */
    private static final class SecretCheck implements ServerInterceptor {
        private final String secret;
        private final ConnectionGate connections;

        SecretCheck(String secret, ConnectionGate connections) {
            if (secret == null || secret.length() < 16) throw new IllegalArgumentException("the job secret must have at least 16 characters");
            this.secret = secret;
            this.connections = connections;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            java.net.SocketAddress peer = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            if (Secrets.matches(secret, headers.get(Rpc.SECRET))) {
                connections.authenticated(peer);
            } else {
                connections.refusedCall(peer, "wrong or missing job secret");
                call.close(Status.UNAUTHENTICATED.withDescription("wrong or missing job secret"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }
    }
}
