package dev.permafrost.ps.rpc;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gate's rules without a transport: caps, displacement of the unauthenticated, the deadline, counting, logging. */
class ConnectionGateTest {
    private final AtomicLong now = new AtomicLong();
    private final List<String> log = new ArrayList<>();
    private final Set<InetSocketAddress> closed = new HashSet<>();

    private ConnectionGate gate(int perPeer, int total) {
        return new ConnectionGate(new ConnectionGate.Limits(perPeer, total, 1_000), now::get, log::add, 100);
    }

    private boolean open(ConnectionGate gate, InetSocketAddress peer) {
        return gate.admit(peer, () -> {
            closed.add(peer);
            gate.closed(peer);
        });
    }

    private static InetSocketAddress peer(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void aNeighbourCannotHoldTheServiceFromAWorker() {
        ConnectionGate gate = gate(2, 3);
        InetSocketAddress idle1 = peer("10.0.0.9", 1), idle2 = peer("10.0.0.9", 2), worker = peer("10.0.0.9", 3);
        assertTrue(open(gate, idle1));
        assertTrue(open(gate, idle2));
        // At the per-address cap: the worker displaces the oldest unauthenticated connection.
        assertTrue(open(gate, worker));
        assertEquals(Set.of(idle1), closed);
        gate.authenticated(worker);
        InetSocketAddress idle3 = peer("10.0.0.9", 4);
        assertTrue(open(gate, idle3));
        assertEquals(Set.of(idle1, idle2), closed, "the next one displaces idle2, never the authenticated worker");
        gate.authenticated(idle3);
        assertFalse(open(gate, peer("10.0.0.9", 5)), "every held connection of that address authenticated: refused");
        assertEquals(2, gate.held());
        // The total cap counts every address.
        assertTrue(open(gate, peer("10.0.0.7", 1)));
        assertFalse(gate.held() > 3);
        var r = gate.refusals();
        assertEquals(1, r.connectionsRefused());
        assertEquals(2, r.connectionsDisplaced());
    }

    @Test
    void aConnectionWithoutTheSecretIsClosedAtItsDeadlineAndAWorkersIsNot() {
        ConnectionGate gate = gate(4, 8);
        InetSocketAddress idle = peer("10.0.0.9", 1), worker = peer("10.0.0.8", 1);
        open(gate, idle);
        open(gate, worker);
        gate.authenticated(worker);
        assertTrue(gate.deadlinePassed(idle));
        assertFalse(gate.deadlinePassed(worker));
        assertEquals(Set.of(idle), closed);
        assertEquals(1, gate.refusals().connectionsExpired());
        assertEquals(1, gate.held());
        assertFalse(gate.deadlinePassed(idle), "already gone");
    }

    @Test
    void refusalsAreCountedAndLoggedWithThePeerAtABoundedRate() {
        ConnectionGate gate = gate(1, 1);
        InetSocketAddress worker = peer("10.0.0.8", 1);
        open(gate, worker);
        gate.authenticated(worker);
        for (int i = 0; i < 1000; i++) open(gate, peer("10.0.0.66", 1000 + i));
        for (int i = 0; i < 10; i++) gate.refusedCall(peer("10.0.0.66", 7), "wrong or missing job secret");
        assertEquals(1000, gate.refusals().connectionsRefused());
        assertEquals(10, gate.refusals().callsRefused());
        assertEquals(1, log.size(), "one line per period: " + log);
        assertTrue(log.get(0).contains("refused a connection from /10.0.0.66:1000"), log.get(0));
        now.addAndGet(100);
        gate.refusedCall(peer("10.0.0.66", 8), "wrong or missing job secret");
        assertEquals(2, log.size());
        assertTrue(log.get(1).contains("refused a call from /10.0.0.66:8") && log.get(1).contains("and 1009 more refusals"), log.get(1));
    }
}
