package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import java.util.function.Consumer;

/**
 * Drives one {@link TcpConnection} on the simulator: feeds it packets, polls it, hands its output to
 * a link, lets an application act after each step, and schedules the next wake-up at
 * {@link TcpConnection#pollAt()}. Nothing here reads a real clock.
 */
public final class SimHost {
    /** Application logic run after every engine step; returns whether it changed anything. */
    public interface App {
        boolean pump(TcpConnection c, long now);
    }

    private final NetSim sim;
    private final TcpConnection conn;
    private final int path;
    private Consumer<Packet> out;
    private App app = (c, n) -> false;
    private long wakeAt = Long.MAX_VALUE;
    private long wakeGeneration;

    public SimHost(NetSim sim, TcpConnection conn, int path) {
        this.sim = sim;
        this.conn = conn;
        this.path = path;
    }

    public TcpConnection connection() {
        return conn;
    }

    public void setOutput(Consumer<Packet> out) {
        this.out = out;
    }

    public void setApp(App app) {
        this.app = app;
    }

    /** A packet arrives from the network. */
    public void receive(Packet p) {
        conn.input(sim.now(), p.segment());
        step();
    }

    /** Polls the engine and runs the app until neither has more to do now; then arms the wake-up. */
    public void step() {
        long now = sim.now();
        for (int i = 0; i < 64; i++) {
            conn.poll(now, this::emit);
            boolean changed = app.pump(conn, now);
            if (!changed && conn.pollAt() > now) {
                break;
            }
        }
        long at = conn.pollAt();
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

    private void emit(Segment s) {
        out.accept(Packet.of(path, conn.tuple(), s));
    }
}
