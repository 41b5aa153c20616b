package io.jmptcp.core.sim;

import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.tcp.FourTuple;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Two {@link SimStack}s joined by several paths, each a pair of {@link Link}s between one client
 * address and one server address (as the testbed's uplinks). A segment takes the path of its
 * source and destination addresses.
 */
public final class MultiPathNet {
    /** One path: addresses at both ends and a link each way. */
    public static final class Path {
        public final InetAddress clientAddr;
        public final InetAddress serverAddr;
        public final Link up;
        public final Link down;

        Path(InetAddress clientAddr, InetAddress serverAddr, Link up, Link down) {
            this.clientAddr = clientAddr;
            this.serverAddr = serverAddr;
            this.up = up;
            this.down = down;
        }
    }

    public final NetSim sim = new NetSim();
    public final SimStack client;
    public final SimStack server;
    public final List<Path> paths = new ArrayList<>();
    private final long seed;
    public long unroutable;

    public MultiPathNet(List<InetAddress> clientAddrs, ConnectionFactory clientFactory, List<InetAddress> serverAddrs,
                        ConnectionFactory serverFactory, long seed) {
        this.seed = seed;
        client = new SimStack(sim, clientAddrs, clientFactory, seed * 17 + 1);
        server = new SimStack(sim, serverAddrs, serverFactory, seed * 17 + 2);
        client.setWire(b -> route(new Packet(-1, b), true));
        server.setWire(b -> route(new Packet(-1, b), false));
    }

    public Path addPath(InetAddress clientAddr, InetAddress serverAddr, Link.Config up, Link.Config down) {
        int id = paths.size();
        Link u = new Link(sim, 2 * id + 1, up, seed * 31 + 2 * id + 1,
                p -> server.receive(p.bytes()));
        Link d = new Link(sim, 2 * id + 2, down, seed * 31 + 2 * id + 2,
                p -> client.receive(p.bytes()));
        Path p = new Path(clientAddr, serverAddr, u, d);
        paths.add(p);
        return p;
    }

    /** Sends an emitted packet on the path of its source and destination addresses. */
    private void route(Packet pk, boolean fromClient) {
        FourTuple t = pk.tuple();
        for (int i = 0; i < paths.size(); i++) {
            Path p = paths.get(i);
            if (fromClient && t.localAddress().equals(p.clientAddr) && t.remoteAddress().equals(p.serverAddr)) {
                p.up.send(pk.onPath(i));
                return;
            }
            if (!fromClient && t.localAddress().equals(p.serverAddr) && t.remoteAddress().equals(p.clientAddr)) {
                p.down.send(pk.onPath(i));
                return;
            }
        }
        unroutable++;
    }

    public static InetAddress addr(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
