package dev.permafrost.ps.rpc;

import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The service's listening socket, asking the {@link ConnectionGate} before a connection reaches gRPC: a refused one is
 * closed right at accept, before any byte is read or any buffer allocated for it; an admitted one is closed at its
 * authentication deadline unless a call with the job's secret came first.
 */
final class GatedServerChannel extends NioServerSocketChannel {
    private final ConnectionGate gate;

    GatedServerChannel(ConnectionGate gate) {
        this.gate = gate;
    }

    @Override
    protected int doReadMessages(List<Object> buf) throws Exception {
        while (true) {
            SocketChannel socket = javaChannel().accept();
            if (socket == null) return 0;
            InetSocketAddress peer;
            try {
                peer = (InetSocketAddress) socket.getRemoteAddress();
            } catch (IOException gone) {
                closeQuietly(socket);
                continue;
            }
            NioSocketChannel child = new NioSocketChannel(this, socket);
            boolean admitted;
            try {
                admitted = gate.admit(peer, () -> close(child));
            } catch (RuntimeException e) {
                // Never out of here: a runtime exception from a server channel's read closes the listening socket.
                admitted = false;
            }
            if (!admitted) {
                closeQuietly(socket);
                continue;
            }
            child.closeFuture().addListener(f -> gate.closed(peer));
            eventLoop().schedule(() -> gate.deadlinePassed(peer), gate.limits().authDeadlineNanos(), TimeUnit.NANOSECONDS);
            buf.add(child);
            return 1;
        }
    }

    /**
     * Closes a connection the gate displaced or timed out: through its pipeline once it is registered with an event
     * loop, else its socket at once (registration then finds it closed and drops it).
     */
    private static void close(NioSocketChannel child) {
        if (child.isRegistered()) child.close();
        else child.unsafe().closeForcibly();
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
