package dev.permafrost.ps.rpc;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Who may hold a connection to the parameter service, with no transport in it: connections are capped per peer address
 * and in total; a connection that has not made one call with the job's secret within the authentication deadline is
 * closed; at a cap, a new connection displaces the oldest one that has not authenticated yet, and is refused only when
 * every held connection has. So neighbours on the host or the network, with no secret, cannot hold the service's
 * connections (or the job's file descriptors) for longer than the deadline, and never displace a worker that has
 * authenticated. Refusals are counted and logged with the peer's address, at most one line per {@code logEvery}.
 */
public final class ConnectionGate {
    /** One held connection: when it was opened, whether it has authenticated, and how to close it. */
    private static final class Held {
        final InetSocketAddress peer;
        final long openedNanos;
        final Runnable close;
        boolean authenticated;

        Held(InetSocketAddress peer, long openedNanos, Runnable close) {
            this.peer = peer;
            this.openedNanos = openedNanos;
            this.close = close;
        }
    }

    /** The caps and the deadline. */
    public record Limits(int perPeer, int total, long authDeadlineNanos) {
        public Limits {
            if (perPeer < 1 || total < perPeer) throw new IllegalArgumentException("caps must be 1 <= perPeer <= total, got " + perPeer + ", " + total);
            if (authDeadlineNanos <= 0) throw new IllegalArgumentException("the authentication deadline must be positive");
        }

        /** A small multiple of the workers: each holds one connection; room for a resubmission's new tasks beside the old. */
        public static Limits forWorkers(int workers, long authDeadlineNanos) {
            return new Limits(2 * workers + 4, 4 * workers + 8, authDeadlineNanos);
        }
    }

    private final Limits limits;
    private final LongSupplier nanoTime;
    private final Consumer<String> log;
    private final long logEveryNanos;
    /** In the order they were opened: the first unauthenticated one is the one to displace. */
    private final Map<InetSocketAddress, Held> held = new LinkedHashMap<>();
    private final Map<InetAddress, Integer> perPeer = new HashMap<>();
    private long refusedConnections;
    private long displacedConnections;
    private long expiredConnections;
    private long refusedCalls;
    private long lastLogNanos;
    private boolean loggedOnce;
    private long unloggedRefusals;

    public ConnectionGate(Limits limits, LongSupplier nanoTime, Consumer<String> log, long logEveryNanos) {
        this.limits = limits;
        this.nanoTime = nanoTime;
        this.log = log;
        this.logEveryNanos = logEveryNanos;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * A new connection from {@code peer}: true if it may stay (then {@link #closed} must follow when it ends), after
     * displacing the oldest unauthenticated connection where a cap is reached; false if it must be closed at once.
     */
    public boolean admit(InetSocketAddress peer, Runnable close) {
        List<Runnable> toClose = new ArrayList<>();
        boolean admitted;
        synchronized (this) {
            admitted = makeRoom(peer.getAddress(), toClose);
            if (admitted) {
                held.put(peer, new Held(peer, nanoTime.getAsLong(), close));
                perPeer.merge(peer.getAddress(), 1, Integer::sum);
            } else {
                refusedConnections++;
                note("refused a connection from " + peer + ": " + limitText() + " held, all authenticated");
            }
        }
        toClose.forEach(Runnable::run); // outside the lock: closing calls back into closed()
        return admitted;
    }

    /** Frees a place under the caps for {@code address}, displacing unauthenticated connections; false if none can go. */
    private boolean makeRoom(InetAddress address, List<Runnable> toClose) {
        if (perPeer.getOrDefault(address, 0) >= limits.perPeer()) {
            Optional<Held> victim = oldestUnauthenticated(address);
            if (victim.isEmpty()) return false;
            displace(victim.get(), toClose);
        }
        if (held.size() >= limits.total()) {
            Optional<Held> victim = oldestUnauthenticated(null);
            if (victim.isEmpty()) return false;
            displace(victim.get(), toClose);
        }
        return true;
    }

    private Optional<Held> oldestUnauthenticated(InetAddress from) {
        for (Held h : held.values()) {
            if (!h.authenticated && (from == null || h.peer.getAddress().equals(from))) return Optional.of(h);
        }
        return Optional.empty();
    }

    private void displace(Held h, List<Runnable> toClose) {
        forget(h.peer);
        displacedConnections++;
        note("closed an unauthenticated connection from " + h.peer + " to make room: " + limitText());
        toClose.add(h.close);
    }

    /** The connection from {@code peer} made a call with the job's secret: it is a worker's, and stays. */
    public synchronized void authenticated(SocketAddress peer) {
        Held h = held.get(peer);
        if (h != null) h.authenticated = true;
    }

    /**
     * Called when the deadline of the connection from {@code peer} has passed: closes it unless it authenticated.
     * Returns true when it was closed.
     */
    public boolean deadlinePassed(InetSocketAddress peer) {
        Runnable close;
        synchronized (this) {
            Held h = held.get(peer);
            if (h == null || h.authenticated) return false;
            forget(peer);
            expiredConnections++;
            note("closed a connection from " + peer + ": no call with the job's secret within "
                    + limits.authDeadlineNanos() / 1_000_000 + " ms");
            close = h.close;
        }
        close.run();
        return true;
    }

    /** The connection from {@code peer} ended (closed by either side). */
    public synchronized void closed(InetSocketAddress peer) {
        forget(peer);
    }

    /** A call the service refused (a wrong or missing secret), from {@code peer}. */
    public synchronized void refusedCall(SocketAddress peer, String why) {
        refusedCalls++;
        note("refused a call from " + peer + ": " + why);
    }

    private void forget(InetSocketAddress peer) {
        if (held.remove(peer) != null) perPeer.computeIfPresent(peer.getAddress(), (a, n) -> n == 1 ? null : n - 1);
    }

    /** Logs at most one line per period: the first refusal at once, then how many more there were. */
    private void note(String line) {
        long now = nanoTime.getAsLong();
        if (loggedOnce && now - lastLogNanos < logEveryNanos) {
            unloggedRefusals++;
            return;
        }
        String more = unloggedRefusals > 0 ? " (and " + unloggedRefusals + " more refusals since the last such line)" : "";
        log.accept("parameter service: " + line + more);
        loggedOnce = true;
        lastLogNanos = now;
        unloggedRefusals = 0;
    }

    private String limitText() {
        return "the caps are " + limits.perPeer() + " connections per address and " + limits.total() + " in all";
    }

    /** What the gate refused: connections turned away, displaced or timed out before authenticating, and calls refused. */
    public record Refusals(long connectionsRefused, long connectionsDisplaced, long connectionsExpired, long callsRefused) {
        public static final Refusals NONE = new Refusals(0, 0, 0, 0);

        public long connections() {
            return connectionsRefused + connectionsDisplaced + connectionsExpired;
        }
    }

    public synchronized Refusals refusals() {
        return new Refusals(refusedConnections, displacedConnections, expiredConnections, refusedCalls);
    }

    /** Connections held now. */
    public synchronized int held() {
        return held.size();
    }
}
