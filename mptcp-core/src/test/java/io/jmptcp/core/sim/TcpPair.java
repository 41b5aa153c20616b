package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.tcp.TcpState;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Two TCP engines joined by a pair of {@link Link}s (client to server and back) on one
 * {@link NetSim}: the harness for bulk-transfer tests. Everything derives from the seed.
 */
public final class TcpPair {
    public final NetSim sim = new NetSim();
    public final Link ab;
    public final Link ba;
    public final SimHost client;
    public final SimHost server;
    public final Mib clientMib = new Mib();
    public final Mib serverMib = new Mib();

    public TcpPair(TcpConfig clientCfg, TcpConfig serverCfg, Link.Config abCfg, Link.Config baCfg, long seed) {
        this(clientCfg, serverCfg, abCfg, baCfg, seed, (int) (seed * 7919 + 1), (int) (seed * 104729 + 3),
                (int) seed, (int) (seed >>> 3));
    }

    /** With explicit ISNs and timestamp offsets (to test the 32-bit wrap). */
    public TcpPair(TcpConfig clientCfg, TcpConfig serverCfg, Link.Config abCfg, Link.Config baCfg, long seed,
                   int clientIss, int serverIss, int clientTsOffset, int serverTsOffset) {
        FourTuple t = new FourTuple(addr(10, 0, 0, 1), 40000, addr(10, 0, 0, 2), 80);
        TcpConnection c = TcpConnection.connect(clientCfg, t, clientIss, clientTsOffset, clientMib, 0);
        TcpConnection s = TcpConnection.listen(serverCfg, t.reversed(), serverIss, serverTsOffset, serverMib);
        client = new SimHost(sim, c, 0);
        server = new SimHost(sim, s, 0);
        ab = new Link(sim, 1, abCfg, seed * 31 + 1, server::receive);
        ba = new Link(sim, 2, baCfg, seed * 31 + 2, client::receive);
        client.setOutput(ab::send);
        server.setOutput(ba::send);
    }

    public static InetAddress addr(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[]{(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Result of a bulk transfer. */
    public record Result(boolean completed, long simMicros, long clientToServerDone, long serverToClientDone,
                         long traceHash, long events) {
    }

    /**
     * Runs {@code clientApp} and {@code serverApp} until both have sent everything, both saw EOF and
     * both connections are closed or in TIME-WAIT, or until {@code limitMicros}.
     */
    public Result run(BulkApp clientApp, BulkApp serverApp, long limitMicros) {
        client.setApp(clientApp);
        server.setApp(serverApp);
        client.step();
        scheduleRefills(client, clientApp);
        scheduleRefills(server, serverApp);
        boolean ok = sim.runUntil(() -> clientApp.gotEof() && serverApp.gotEof() && clientApp.sentAll()
                && serverApp.sentAll() && done(client) && done(server), limitMicros);
        return new Result(ok, sim.now(), serverApp.lastByteTime(), clientApp.lastByteTime(), sim.traceHash(),
                sim.events());
    }

    private static boolean done(SimHost h) {
        TcpState s = h.connection().state();
        return s == TcpState.CLOSED || s == TcpState.TIME_WAIT;
    }

    private void scheduleRefills(SimHost h, BulkApp app) {
        if (app.nextRefill() == Long.MAX_VALUE) {
            return;
        }
        sim.schedule(app.nextRefill(), new Runnable() {
            @Override
            public void run() {
                h.step();
                if (!app.gotEof()) {
                    sim.schedule(Math.max(app.nextRefill(), sim.now() + 1), this);
                }
            }
        });
    }
}
