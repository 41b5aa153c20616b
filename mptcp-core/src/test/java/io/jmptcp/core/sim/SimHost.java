package io.jmptcp.core.sim;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.engine.Engine;
import io.jmptcp.core.engine.PlainConnection;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.tcp.TcpState;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Drives one {@link TcpConnection} (made by the test, with its own ISN and timestamp offset) on
 * the simulator through the real {@link Engine}: packets arrive as bytes, the engine
 * demultiplexes them to the connection (a listener hands it the SYN), polls it and encodes what it
 * sends; an application acts after each step, and the next wake-up is {@link Engine#pollAt()}.
 * Nothing here reads a real clock.
 */
public final class SimHost {
    /** Application logic run after every engine step; returns whether it changed anything. */
    public interface App {
        boolean pump(TcpConnection c, long now);
    }

    private final NetSim sim;
    private final TcpConnection conn;
    private final PlainConnection plain;
    private final Engine engine;
    private final SimTx io = new SimTx(65535);
    private App app = (c, n) -> false;
    private long wakeAt = Long.MAX_VALUE;
    private long wakeGeneration;

    public SimHost(NetSim sim, TcpConnection conn, int path) {
        this.sim = sim;
        this.conn = conn;
        boolean passive = conn.state() == TcpState.LISTEN;
        this.plain = PlainConnection.of(conn, passive);
        FourTuple t = conn.tuple();
        this.engine = new Engine(new OneConnection(), List.of(t.localAddress()), 65535,
                new IsnGenerator(new byte[16]), new SplittableRandom(path)::nextLong, null);
        if (passive) {
            engine.listen(t.localPort(), 1);
        } else {
            engine.connect(sim.now(), new InetSocketAddress(t.remoteAddress(), t.remotePort()),
                    ConnectionOptions.DEFAULTS);
        }
        io.setWire(b -> out.accept(new Packet(path, b)));
    }

    private Consumer<Packet> out;

    public TcpConnection connection() {
        return conn;
    }

    public Engine engine() {
        return engine;
    }

    public void setOutput(Consumer<Packet> out) {
        this.out = out;
    }

    public void setApp(App app) {
        this.app = app;
    }

    /** A packet arrives from the network. */
    public void receive(Packet p) {
        engine.poll(sim.now(), io.in(p.bytes()), io);
        io.none();
        step();
    }

    /** Polls the engine and runs the app until neither has more to do now; then arms the wake-up. */
    public void step() {
        long now = sim.now();
        engine.touch(plain);
        for (int i = 0; i < 64; i++) {
            engine.poll(now, io);
            boolean changed = app.pump(conn, now);
            if (!changed && engine.pollAt() > now) {
                break;
            }
            engine.touch(plain);
        }
        long at = engine.pollAt();
        if (at <= now) {
            at = now + 1;
        }
        if (at != TcpConnection.NEVER && at < wakeAt || at != wakeAt && wakeAt <= now) {
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

    /** Hands the engine the test's connection: to the active open, or for the SYN of its 4-tuple. */
    private final class OneConnection implements ConnectionFactory {
        @Override
        public Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote) {
            ctx.bind(conn.tuple(), plain);
            return plain;
        }

        @Override
        public Accepted accept(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn) {
            if (!tuple.equals(conn.tuple()) || conn.state() != TcpState.LISTEN) {
                return Accepted.REFUSED;
            }
            ctx.bind(tuple, plain);
            return new Accepted(plain, true);
        }
    }
}
