package io.jmptcp.core.sim;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.engine.Engine;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.tcp.Segment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A stack on the simulator: the real {@link Engine} (demultiplexing, listeners, RSTs for strays,
 * timers, IP encoding), fed IP packets as bytes and polled on the virtual clock; after every step
 * it lets the application act and arms a wake-up at {@link Engine#pollAt()}.
 */
public final class SimStack {
    /** Application logic run after every step. */
    public interface App {
        void pump(long now);
    }

    static final int MTU = 1500;

    private final NetSim sim;
    private final Engine engine;
    private final SimTx io = new SimTx(MTU);
    /** Connections past their handshake on the listening port, in accept order. */
    public final List<Connection> accepted = new ArrayList<>();
    private Engine.Listener listener;
    private App app = now -> { };
    private long wakeAt = Long.MAX_VALUE;
    private long wakeGeneration;

    public SimStack(NetSim sim, List<InetAddress> addresses, ConnectionFactory factory, long seed) {
        this.sim = sim;
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] secret = new byte[16];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) rnd.nextInt();
        }
        this.engine = new Engine(factory, addresses, MTU, new IsnGenerator(secret), rnd::nextLong, null);
    }

    /** Where the packets the engine emits go. */
    public void setWire(Consumer<byte[]> wire) {
        io.setWire(wire);
    }

    public void setApp(App app) {
        this.app = app;
    }

    public void listen(int port) {
        this.listener = engine.listen(port, 1024);
    }

    /** Listens with an explicit accept backlog and bound on half-open connections. */
    public Engine.Listener listen(int port, int backlog, int maxHalfOpen) {
        this.listener = engine.listen(port, backlog, maxHalfOpen);
        return listener;
    }

    public Connection connect(java.net.InetSocketAddress remote) {
        Connection c = engine.connect(sim.now(), remote, ConnectionOptions.DEFAULTS);
        step();
        return c;
    }

    public Engine engine() {
        return engine;
    }

    public Mib mib() {
        return engine.mib();
    }

    /** An IP packet arrives from the network. */
    public void receive(byte[] packet) {
        engine.poll(sim.now(), io.in(packet), io);
        io.none();
        step();
    }

    /** A segment arrives for {@code tuple} (local address first): encoded, then received. */
    public void receive(FourTuple tuple, Segment seg) {
        receive(Packet.encode(tuple.reversed(), seg));
    }

    /** Polls the engine and runs the app until nothing more is due now; then arms the wake-up. */
    public void step() {
        long now = sim.now();
        engine.refresh(now, io); // the apps call connections directly, without touching them
        for (int i = 0; i < 64; i++) {
            engine.poll(now, io);
            app.pump(now);
            drainAccepted();
            engine.refresh(now, io);
            if (engine.pollAt() > now) {
                break;
            }
        }
        long at = engine.pollAt();
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

    private void drainAccepted() {
        if (listener == null) {
            return;
        }
        Connection c;
        while ((c = engine.pollAccepted(listener)) != null) {
            accepted.add(c);
        }
    }

    public int liveConnections() {
        return engine.connectionCount();
    }
}
