package io.jmptcp.core.sim;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.wire.TcpHeader;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * A minimal stack on the simulator, doing what the runtime's event loop does: it implements
 * {@link StackContext}, demultiplexes segments by 4-tuple, asks a {@link ConnectionFactory} about
 * SYNs for its listening port, answers strays with a RST, polls every connection and arms a wake-up
 * at the earliest {@link Connection#pollAt()}.
 */
public final class SimStack implements StackContext {
    /** Application logic run after every step. */
    public interface App {
        void pump(long now);
    }

    private final NetSim sim;
    private final List<InetAddress> addresses;
    private final Mib mib = new Mib();
    private final IsnGenerator isn;
    private final SplittableRandom rnd;
    private final Map<FourTuple, Connection> table = new HashMap<>();
    private final Set<Connection> live = new LinkedHashSet<>();
    public final List<Connection> accepted = new ArrayList<>();
    private final ConnectionFactory factory;
    private int listenPort = -1;
    private int nextPort = 40000;
    private BiConsumer<FourTuple, Segment> wire;
    private App app = now -> { };
    private long wakeAt = Long.MAX_VALUE;
    private long wakeGeneration;

    public SimStack(NetSim sim, List<InetAddress> addresses, ConnectionFactory factory, long seed) {
        this.sim = sim;
        this.addresses = List.copyOf(addresses);
        this.factory = factory;
        this.rnd = new SplittableRandom(seed);
        byte[] secret = new byte[16];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) rnd.nextInt();
        }
        this.isn = new IsnGenerator(secret);
    }

    public void setWire(BiConsumer<FourTuple, Segment> wire) {
        this.wire = wire;
    }

    public void setApp(App app) {
        this.app = app;
    }

    public void listen(int port) {
        this.listenPort = port;
    }

    public Connection connect(java.net.InetSocketAddress remote) {
        Connection c = factory.connect(sim.now(), this, remote);
        live.add(c);
        step();
        return c;
    }

    @Override
    public List<InetAddress> localAddresses() {
        return addresses;
    }

    @Override
    public int ephemeralPort(InetAddress local, InetAddress remote, int remotePort) {
        return nextPort++;
    }

    @Override
    public void bind(FourTuple tuple, Connection connection) {
        table.put(tuple, connection);
        live.add(connection);
    }

    @Override
    public void unbind(FourTuple tuple) {
        table.remove(tuple);
    }

    @Override
    public IsnGenerator isn() {
        return isn;
    }

    @Override
    public LongSupplier random() {
        return rnd::nextLong;
    }

    @Override
    public Mib mib() {
        return mib;
    }

    /** A segment arrives for {@code tuple} (local address first). */
    public void receive(FourTuple tuple, Segment seg) {
        TcpHeader h = seg.header();
        Connection c = table.get(tuple);
        if (c == null && h.has(TcpHeader.SYN) && !h.has(TcpHeader.ACK) && tuple.localPort() == listenPort
                && addresses.contains(tuple.localAddress())) {
            ConnectionFactory.Accepted a = factory.accept(sim.now(), this, tuple, seg);
            if (a.connection() != null) {
                c = a.connection();
                live.add(c);
                if (a.isNew()) {
                    accepted.add(c);
                }
            }
        }
        if (c == null) {
            if (!h.has(TcpHeader.RST)) {
                wire.accept(tuple, TcpConnection.resetFor(seg));
            }
            return;
        }
        c.input(sim.now(), tuple, seg);
        step();
    }

    /** Polls every connection and the app until nothing more is due now; then arms the wake-up. */
    public void step() {
        long now = sim.now();
        for (int i = 0; i < 64; i++) {
            for (Connection c : new ArrayList<>(live)) {
                c.poll(now, wire::accept);
            }
            app.pump(now);
            boolean due = false;
            for (Connection c : new ArrayList<>(live)) {
                if (c.finished()) {
                    live.remove(c);
                } else if (c.pollAt() <= now) {
                    due = true;
                }
            }
            if (!due) {
                break;
            }
        }
        long at = Long.MAX_VALUE;
        for (Connection c : live) {
            at = Math.min(at, c.pollAt());
        }
        if (at <= now) {
            at = now + 1;
        }
        if (at != Long.MAX_VALUE && at < wakeAt || at != wakeAt && wakeAt <= now) {
            wakeAt = at;
            long gen = ++wakeGeneration;
            sim.schedule(at, () -> {
                if (gen == wakeGeneration) {
                    wakeAt = Long.MAX_VALUE;
                    step();
                }
            });
        }
    }

    public int liveConnections() {
        return live.size();
    }
}
