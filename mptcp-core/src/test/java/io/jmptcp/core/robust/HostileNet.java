package io.jmptcp.core.robust;

import static io.jmptcp.core.sim.MultiPathNet.addr;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.engine.Engine;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnection;
import io.jmptcp.core.mptcp.MptcpConnectionFactory;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.sim.SimStack;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The stage for hostile input: an MPTCP client (10.0.1.1, 10.0.2.1) and server (10.0.9.1) on two
 * simulated paths, a listener on {@link #PORT} with a bounded SYN queue, one legitimate
 * connection whose bytes are checked one by one at both ends ({@link PatternApp}), and a record
 * of the last packets each way that an attacker on the path would have seen. The server's app
 * serves the legitimate connection and aborts any other connection that completes a handshake.
 */
final class HostileNet {
    static final int PORT = 5000;
    static final InetAddress C1 = addr("10.0.1.1");
    static final InetAddress C2 = addr("10.0.2.1");
    static final InetAddress S = addr("10.0.9.1");

    /** A packet seen on a link: the IP bytes and whether the client sent it. */
    record Seen(byte[] bytes, boolean fromClient) {
    }

    final MultiPathNet net;
    final MptcpConnectionFactory clientFactory;
    final MptcpConnectionFactory serverFactory;
    final PatternApp clientApp;
    final PatternApp serverApp;
    final Engine.Listener listener;
    final int maxHalfOpen;
    final int backlog;
    MptcpConnection clientConn;
    /** The last packets seen on the links, oldest first (at most {@link #SEEN_LIMIT}). */
    final List<Seen> seen = new ArrayList<>();
    static final int SEEN_LIMIT = 512;
    /** The first handshake packets seen (SYN, SYN/ACK, MP_JOIN), kept as bases for forgeries. */
    final List<Seen> firstPackets = new ArrayList<>();
    /** The server's token, learnt from the client's MP_JOIN SYN (as an observer on the path learns it). */
    int serverToken;
    /** The server's latest packet to each client address (its ACK is the server's rcv.nxt there). */
    final java.util.Map<InetAddress, Packet> lastServerTo = new java.util.HashMap<>();
    /** Connections other than the legitimate one that the server accepted (and aborted). */
    int strangersAccepted;

    HostileNet(long seed, MptcpConfig clientCfg, MptcpConfig serverCfg, long bytesEachWay, int backlog,
               int maxHalfOpen, Link.Config link) {
        this(seed, clientCfg, serverCfg, bytesEachWay, backlog, maxHalfOpen, link, link);
    }

    /** As above, with the second path's links made from {@code link2}. */
    HostileNet(long seed, MptcpConfig clientCfg, MptcpConfig serverCfg, long bytesEachWay, int backlog,
               int maxHalfOpen, Link.Config link, Link.Config link2) {
        this(seed, clientCfg, serverCfg, bytesEachWay, bytesEachWay, backlog, maxHalfOpen, link, link2);
    }

    /** As above, the client sending {@code clientBytes} and the server {@code serverBytes}. */
    HostileNet(long seed, MptcpConfig clientCfg, MptcpConfig serverCfg, long clientBytes, long serverBytes,
               int backlog, int maxHalfOpen, Link.Config link, Link.Config link2) {
        this.backlog = backlog;
        this.maxHalfOpen = maxHalfOpen;
        clientFactory = new MptcpConnectionFactory(clientCfg);
        serverFactory = new MptcpConnectionFactory(serverCfg);
        net = new MultiPathNet(List.of(C1, C2), clientFactory, List.of(S), serverFactory, seed);
        clientApp = new PatternApp(clientBytes, seed * 5 + 1, seed * 5 + 2);
        serverApp = new PatternApp(serverBytes, seed * 5 + 2, seed * 5 + 1);
        net.client.setApp(now -> clientApp.pump());
        net.server.setApp(now -> {
            List<Connection> acc = net.server.accepted;
            while (!acc.isEmpty()) {
                Connection c = acc.remove(0);
                if (serverApp.conn == null && isLegit(c)) {
                    serverApp.conn = c;
                } else {
                    strangersAccepted++;
                    c.abort();
                }
            }
            serverApp.pump();
        });
        listener = net.server.listen(PORT, backlog, maxHalfOpen);
        for (InetAddress c : List.of(C1, C2)) {
            Link.Config l = c.equals(C1) ? link : link2;
            MultiPathNet.Path p = net.addPath(c, S, copy(l), copy(l));
            p.up.tap = pk -> see(pk, true);
            p.down.tap = pk -> see(pk, false);
        }
    }

    private static Link.Config copy(Link.Config l) {
        return new Link.Config().rate(l.rateBps).delay(l.delayMicros).queue(l.queueLimit).loss(l.loss);
    }

    static Link.Config link(long rateBps, long delayMicros) {
        return new Link.Config().rate(rateBps).delay(delayMicros).queue(200);
    }

    private boolean isLegit(Connection c) {
        return clientConn != null && c.info().remote().equals(clientConn.info().local());
    }

    private void see(Packet p, boolean fromClient) {
        TcpHeader h = p.segment().header();
        if (!fromClient) {
            lastServerTo.put(p.tuple().remoteAddress(), p);
        }
        if (h.has(TcpHeader.SYN) && firstPackets.size() < 8) {
            firstPackets.add(new Seen(p.bytes(), fromClient));
            for (TcpOption o : h.options()) {
                if (o instanceof MptcpOption.MpJoinSyn j && fromClient) {
                    serverToken = j.token();
                }
            }
        }
        if (seen.size() == SEEN_LIMIT) {
            seen.remove(0);
        }
        seen.add(new Seen(p.bytes(), fromClient));
    }

    void connect() {
        clientConn = (MptcpConnection) net.client.connect(new InetSocketAddress(S, PORT));
        clientApp.conn = clientConn;
    }

    MptcpConnection serverConn() {
        return (MptcpConnection) serverApp.conn;
    }

    boolean run(BooleanSupplier done, long limitMicros) {
        return net.sim.runUntil(done, limitMicros);
    }

    long now() {
        return net.sim.now();
    }

    /** An IP packet injected into the server (fromClient) or the client, as if it came off the wire. */
    void inject(byte[] packet, boolean toServer) {
        (toServer ? net.server : net.client).receive(packet);
    }

    SimStack stack(boolean server) {
        return server ? net.server : net.client;
    }

    /** Both ends wrote and read everything and closed cleanly, with no corrupt byte. */
    boolean transferDone() {
        return clientApp.eof && serverApp.eof && serverApp.conn != null
                && clientConn.state() == Connection.State.CLOSED && serverApp.conn.state() == Connection.State.CLOSED;
    }

    /** Lets both apps finish: shut their output down once everything is written. */
    void release() {
        clientApp.holdOpen = false;
        serverApp.holdOpen = false;
        net.client.step();
        net.server.step();
    }

    long counter(boolean server, StackMib c) {
        return stack(server).engine().counter(c);
    }

    String describe() {
        return "t=" + now() + " client " + clientConn + " w=" + clientApp.written + " r=" + clientApp.received
                + "\nserver " + serverConn() + " w=" + serverApp.written + " r=" + serverApp.received
                + "\nclient mib " + net.client.mib() + "\nserver mib " + net.server.mib();
    }
}
