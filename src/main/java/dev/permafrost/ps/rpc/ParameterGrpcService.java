package dev.permafrost.ps.rpc;

import dev.permafrost.ps.ParameterServer;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
    private final ConnectionGate gate;
    private final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup boss;
    private final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup transport;
    private final Map<Integer, Pending> pending = new TreeMap<>();
    private final AtomicLong bytesPushed = new AtomicLong();
    private final AtomicLong pushes = new AtomicLong();
    private int phase;
    private int submission;
    private final FingerprintAudit audit;
    private volatile Optional<CheckFailedException> failure = Optional.empty();
    private volatile java.util.function.Consumer<ParameterServer.StepReport> onStep = r -> { };
    /** The driver's share of every step; guarded by this service's lock. */
    private final StepTimes.Clock clock = new StepTimes.Clock();
    /** When the step being gathered got its first push. */
    private long firstPushAt;
    /** From each submission to its first pull: routing rows, shipping the model, starting tasks and building networks. */
    private long submittedAt;
    private boolean firstPullSeen = true;
    private long taskStartNanos;

    private record Pending(Messages.Push push, StreamObserver<byte[]> reply) {
    }

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
        this.audit = new FingerprintAudit(settings.auditEvery(), core.frozenFingerprints());
        ServerServiceDefinition service = ServerServiceDefinition.builder(Rpc.SERVICE)
                .addMethod(Rpc.PULL, ServerCalls.asyncUnaryCall(this::pull))
                .addMethod(Rpc.PUSH, ServerCalls.asyncUnaryCall(this::push))
                .build();
        // Handlers run on the transport's own threads: they only check, record and, on a step's last push, compute the
        // step; handing each call to another thread first cost a thread switch per call on small machines.
        // Connections pass the gate at accept (caps, authentication deadline) on NIO event loops of the service's own.
        this.gate = new ConnectionGate(ConnectionGate.Limits.forWorkers(settings.workers(), settings.authDeadline().toNanos()), System::nanoTime,
                System.err::println, TimeUnit.SECONDS.toNanos(10));
        this.boss = new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(1);
        this.transport = new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(2 * Runtime.getRuntime().availableProcessors());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()))
                .channelFactory(() -> new GatedServerChannel(gate))
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(transport)
                .directExecutor()
                .maxInboundMessageSize(settings.maxMessageBytes(core.layout().shards().size()))
                .addService(ServerInterceptors.intercept(service, new SecretCheck(settings.secret(), gate)));
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
        if (!pending.isEmpty()) throw new IllegalStateException("cannot change phase with " + pending.size() + " pushes waiting");
        this.phase = newPhase;
        audit.startPhase(core.frozenFingerprints());
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
            submittedAt = System.nanoTime();
            firstPullSeen = false;
        }
        abortWaiting(Status.ABORTED.withDescription("superseded by submission " + newSubmission).asRuntimeException());
    }

    /** Why the job must stop; empty while it may go on. */
    public Optional<CheckFailedException> failure() {
        return failure;
    }

    /** Every push whose frozen fingerprints were checked and matched. */
    public List<AuditRecord> audits() {
        return audit.passed();
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
                if (!firstPullSeen) {
                    firstPullSeen = true;
                    taskStartNanos += System.nanoTime() - submittedAt;
                }
                reply.onNext(encodeTrainableValues());
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
            Messages.Push received = Messages.decodePush(request);
            Messages.PushHeader push = received.header();
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
                Pending previous = pending.get(push.worker());
                if (previous != null) {
                    if (push.taskAttempt() <= previous.push().header().taskAttempt()) {
                        throw failJob("worker " + push.worker() + " (" + push.executor() + ") pushed twice for step " + (core.version() + 1)
                                + " in submission " + submission + ": a worker pushes once per step");
                    }
                    // Spark restarted the barrier stage: the new attempt's push replaces the one the failed attempt left waiting.
                    pending.remove(push.worker());
                    respond(previous.reply(), null, Status.ABORTED.withDescription("superseded by task attempt " + push.taskAttempt())
                            .asRuntimeException());
                }
                Optional<CheckFailedException> failed = audit.check(push, core.version() + 1, core.layout(), phase);
                if (failed.isPresent()) throw failJob(failed.get());
                if (pending.isEmpty()) firstPushAt = System.nanoTime();
                pending.put(push.worker(), new Pending(received, reply));
                if (pending.size() == workers) {
                    ready = new ArrayList<>(pending.values());
                    pending.clear();
                    try {
                        clock.lap(StepTimes.Part.WAIT_FOR_WORKERS, firstPushAt);
                        ParameterServer.StepReport report = core.step(toWorkerPushes(ready));
                        clock.add(StepTimes.Part.SUM, report.sumNanos());
                        clock.add(StepTimes.Part.OPTIMIZER, report.optimizerNanos());
                        long encodeFrom = System.nanoTime();
                        answer = encodeTrainableValues();
                        long encoded = clock.lap(StepTimes.Part.ENCODE_ANSWER, encodeFrom);
                        onStep.accept(report);
                        clock.lap(StepTimes.Part.CHECKPOINT_SNAPSHOT, encoded);
                        clock.countStep();
                    } catch (RuntimeException e) {
                        CheckFailedException check = e instanceof CheckFailedException c ? c : new CheckFailedException(e.getMessage());
                        failure = Optional.of(check);
                        error = Status.FAILED_PRECONDITION.withDescription(check.getMessage()).asRuntimeException();
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

    private StatusRuntimeException failJob(String message) {
        return failJob(new CheckFailedException(message));
    }

    /** Records why the job must stop and refuses this call; later calls are refused by {@link #requireHealthy()}. */
    private StatusRuntimeException failJob(CheckFailedException why) {
        failure = Optional.of(why);
        String message = why.getMessage();
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
        if (failure.isPresent()) throw Status.FAILED_PRECONDITION.withDescription(failure.get().getMessage()).asRuntimeException();
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

    /** The current version's answer: the core's packed values copied once, into the message. */
    private byte[] encodeTrainableValues() {
        long version = core.version();
        return core.readTrainableValues(values -> Messages.encodeTrainableValues(version, phase, values));
    }

    /** Time from submitting each epoch's tasks to the first of them pulling, summed over submissions. */
    public synchronized long taskStartNanos() {
        return taskStartNanos;
    }

    /** The driver's share of the steps so far: waiting for pushes, summing, the optimizer, the answer, snapshots. */
    public synchronized StepTimes stepTimes() {
        return clock.total();
    }

    private static List<WorkerPush> toWorkerPushes(List<Pending> ready) {
        List<WorkerPush> out = new ArrayList<>(ready.size());
        for (Pending p : ready) {
            Messages.PushHeader push = p.push().header();
            out.add(new WorkerPush(push.worker(), push.version(), push.samples(), push.lossSum(), p.push().gradientSums()));
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
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            transport.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** What the connection gate refused so far. */
    public ConnectionGate.Refusals refusals() {
        return gate.refusals();
    }

    /** Connections held now (workers', and others' until their authentication deadline). */
    public int connectionsHeld() {
        return gate.held();
    }

    /** Refuses every call that does not present the job's secret. */
    private static final class SecretCheck implements ServerInterceptor {
        private final String secret;

        private final ConnectionGate gate;

        SecretCheck(String secret, ConnectionGate gate) {
            if (secret == null || secret.length() < 16) throw new IllegalArgumentException("the job secret must have at least 16 characters");
            this.secret = secret;
            this.gate = gate;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            java.net.SocketAddress peer = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            if (Secrets.matches(secret, headers.get(Rpc.SECRET))) {
                gate.authenticated(peer);
            } else {
                gate.refusedCall(peer, "wrong or missing job secret");
                call.close(Status.UNAUTHENTICATED.withDescription("wrong or missing job secret"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }
    }
}
