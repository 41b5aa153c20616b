package io.jmptcp.core.sim;

import io.jmptcp.core.conn.ConnectionFactory;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Several client stacks sending to one server through shared links, the topology of a
 * do-no-harm experiment (RFC 6356 section 2, goal 2): each client address is routed onto one
 * forward {@link Link} (several addresses, of one client or of several, may share a link: that link
 * is their common bottleneck), and every segment from the server comes back on one reverse link to
 * the client stack owning its destination address.
 */
public final class BottleneckNet {
    public final NetSim sim = new NetSim();
    public final SimStack server;
    private final Link reverse;
    private final Map<InetAddress, Link> routes = new HashMap<>();
    private final Map<InetAddress, SimStack> owners = new HashMap<>();
    private final long seed;
    private int links;
    public long unroutable;

    public BottleneckNet(List<InetAddress> serverAddrs, ConnectionFactory serverFactory, Link.Config reverseCfg, long seed) {
        this.seed = seed;
        server = new SimStack(sim, serverAddrs, serverFactory, seed * 17 + 2);
        reverse = new Link(sim, 0, reverseCfg, seed * 31, p -> {
            SimStack c = owners.get(p.tuple().remoteAddress());
            if (c == null) {
                unroutable++;
            } else {
                c.receive(p.bytes());
            }
        });
        server.setWire(b -> reverse.send(new Packet(0, b)));
    }

    /** A forward link into the server. */
    public Link addLink(Link.Config cfg) {
        int id = ++links;
        return new Link(sim, id, cfg, seed * 31 + id, p -> server.receive(p.bytes()));
    }

    /** A client stack whose address {@code addrs[i]} sends on {@code via[i]}. */
    public SimStack addClient(List<InetAddress> addrs, List<Link> via, ConnectionFactory factory) {
        SimStack c = new SimStack(sim, addrs, factory, seed * 17 + 3 + owners.size());
        for (int i = 0; i < addrs.size(); i++) {
            routes.put(addrs.get(i), via.get(i));
            owners.put(addrs.get(i), c);
        }
        c.setWire(b -> route(new Packet(0, b)));
        return c;
    }

    private void route(Packet pk) {
        Link l = routes.get(pk.tuple().localAddress());
        if (l == null) {
            unroutable++;
        } else {
            l.send(pk);
        }
    }
}
