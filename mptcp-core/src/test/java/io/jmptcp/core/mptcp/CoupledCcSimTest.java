package io.jmptcp.core.mptcp;

import static io.jmptcp.core.sim.MultiPathNet.addr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.cc.Reno;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.sim.BottleneckNet;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.SimStack;
import io.jmptcp.core.tcp.TcpConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Coupled congestion control on virtual time (RFC 6356 section 2). Do no harm: two subflows of one
 * MPTCP connection and one Reno TCP flow share one drop-tail bottleneck (20 Mbit/s, 20 ms RTT, a
 * queue of about one BDP); a coupled MPTCP connection takes about what the TCP flow takes, uncoupled
 * cubic on both subflows takes markedly more. Move away from congestion: with path 1 shared with a
 * TCP flow and path 2 idle, the coupled connection sends mostly on path 2 and the TCP flow keeps
 * most of what it has alone (at least 80% with OLIA and BALIA, 70% with LIA). Goodput is counted at the server over the second half of the run.
 */
class CoupledCcSimTest {
    static final int PORT = 5000;
    static final long RATE = 20_000_000;
    static final long ONE_WAY = 10_000;
    /** One bandwidth-delay product: 20 Mbit/s * 20 ms = 50 000 bytes, 33 packets of 1500. */
    static final int BDP_PACKETS = 33;
    static final long RUN = 40_000_000;
    static final InetAddress SERVER = addr("10.0.9.1");
    static final InetAddress MP1 = addr("10.0.1.1");
    static final InetAddress MP2 = addr("10.0.2.1");
    static final InetAddress TCP = addr("10.0.3.1");

    /** Seeded per-packet jitter (FIFO kept), so that the seed varies the interleaving of the flows. */
    static final long JITTER = 300;

    static Link.Config bottleneck() {
        return new Link.Config().rate(RATE).delay(ONE_WAY).queue(BDP_PACKETS).jitter(JITTER);
    }

    /** One run: per-flow goodput in bytes/s over the second half, and the MPTCP bytes per path. */
    static final class Run {
        final BottleneckNet net;
        final Map<Connection, long[]> read = new HashMap<>();
        final List<Connection> senders = new ArrayList<>();
        final byte[] buf = new byte[64 * 1024];
        MptcpConnection mptcpClient;
        Connection tcpClient;

        Run(long seed) {
            net = new BottleneckNet(List.of(SERVER), new MptcpConnectionFactory(new MptcpConfig()),
                    new Link.Config().rate(1_000_000_000L).delay(ONE_WAY).queue(10_000), seed);
            net.server.listen(PORT);
            net.server.setApp(now -> {
                for (Connection c : net.server.accepted) {
                    long[] n = read.computeIfAbsent(c, k -> new long[1]);
                    int r;
                    while ((r = c.read(buf, 0, buf.length)) > 0) {
                        n[0] += r;
                    }
                }
            });
        }

        SimStack client(List<InetAddress> addrs, List<Link> via, io.jmptcp.core.conn.ConnectionFactory f) {
            SimStack s = net.addClient(addrs, via, f);
            s.setApp(now -> {
                for (Connection c : senders) {
                    if (c.state() == Connection.State.ESTABLISHED) {
                        while (c.write(buf, 0, buf.length) > 0) {
                            // fill the send buffer: a bulk sender that never runs dry
                        }
                    }
                }
            });
            return s;
        }

        void mptcp(String cc, Link path1, Link path2) {
            SimStack s = client(List.of(MP1, MP2), List.of(path1, path2),
                    new MptcpConnectionFactory(new MptcpConfig().congestionControl(cc)));
            mptcpClient = (MptcpConnection) s.connect(new InetSocketAddress(SERVER, PORT));
            senders.add(mptcpClient);
        }

        void tcp(Link path) {
            SimStack s = client(List.of(TCP), List.of(path),
                    new PlainConnectionFactory(new TcpConfig().congestionControl(Reno.FACTORY)));
            tcpClient = s.connect(new InetSocketAddress(SERVER, PORT));
            senders.add(tcpClient);
        }

        /** Bytes the server read from the MPTCP connection (true) or the plain one (false). */
        long received(boolean mptcp) {
            long sum = 0;
            for (Map.Entry<Connection, long[]> e : read.entrySet()) {
                if (((MptcpConnection) e.getKey()).isMptcp() == mptcp) {
                    sum += e.getValue()[0];
                }
            }
            return sum;
        }

        /** Bytes the server's MPTCP connection received on the subflow from {@code from}. */
        long receivedOn(InetAddress from) {
            for (Map.Entry<Connection, long[]> e : read.entrySet()) {
                MptcpConnection c = (MptcpConnection) e.getKey();
                if (c.isMptcp()) {
                    for (MptcpSubflow sf : c.subflows()) {
                        if (sf.tuple.remoteAddress().equals(from)) {
                            return sf.subflowBytesDelivered;
                        }
                    }
                }
            }
            return 0;
        }
    }

    /** Goodputs over [RUN/2, RUN]: {mptcp, tcp} in bytes per second. */
    static double[] secondHalf(Run r) {
        r.net.sim.runTo(RUN / 2);
        long mp0 = r.received(true);
        long tcp0 = r.received(false);
        r.net.sim.runTo(RUN);
        double secs = (RUN - RUN / 2) / 1e6;
        return new double[] {(r.received(true) - mp0) / secs, (r.received(false) - tcp0) / secs};
    }

    static double fairness(String cc, long seed) {
        Run r = new Run(seed);
        Link shared = r.net.addLink(bottleneck());
        r.mptcp(cc, shared, shared);
        r.tcp(shared);
        double[] g = secondHalf(r);
        assertEquals(2, r.mptcpClient.subflows().size(), () -> "no join: " + r.mptcpClient);
        assertTrue(r.mptcpClient.isMptcp());
        assertEquals(cc, r.mptcpClient.info().cc());
        // The bottleneck was used (not an idle or stalled run): at least 80% of 20 Mbit/s of goodput.
        assertTrue(g[0] + g[1] > 0.8 * RATE / 8 * 1460 / 1500, () -> "goodput " + (g[0] + g[1]) * 8 / 1e6 + " Mbit/s");
        double ratio = g[0] / g[1];
        System.out.printf("do-no-harm %-5s: mptcp %.2f Mbit/s, tcp %.2f Mbit/s, ratio %.3f%n", cc, g[0] * 8 / 1e6,
                g[1] * 8 / 1e6, ratio);
        return ratio;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lia", "olia", "balia"})
    void coupledDoesNoHarmAtASharedBottleneck(String cc) {
        double ratio = fairness(cc, 1);
        assertTrue(ratio >= 0.8 && ratio <= 1.25, cc + ": MPTCP / TCP goodput " + ratio);
    }

    @Test
    void uncoupledCubicTakesMoreThanItsShare() {
        double ratio = fairness("cubic", 1);
        assertTrue(ratio > 1.4, "uncoupled cubic: MPTCP / TCP goodput " + ratio);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lia", "olia", "balia"})
    void coupledMovesAwayFromCongestion(String cc) {
        moveAway(cc, 7);
    }

    static void moveAway(String cc, long seed) {
        Run alone = new Run(seed);
        alone.tcp(alone.net.addLink(bottleneck()));
        double tcpAlone = secondHalf(alone)[1];

        Run r = new Run(seed);
        Link path1 = r.net.addLink(bottleneck());
        Link path2 = r.net.addLink(bottleneck());
        r.mptcp(cc, path1, path2);
        r.tcp(path1);
        r.net.sim.runTo(RUN / 2);
        long on1 = r.receivedOn(MP1);
        long on2 = r.receivedOn(MP2);
        double[] g = secondHalf(r);
        on1 = r.receivedOn(MP1) - on1;
        on2 = r.receivedOn(MP2) - on2;
        System.out.printf("move-away %-5s: tcp %.2f of %.2f Mbit/s alone, mptcp path1 %d path2 %d bytes%n", cc,
                g[1] * 8 / 1e6, tcpAlone * 8 / 1e6, on1, on2);
        assertTrue(on2 > 2 * on1, cc + ": path 1 " + on1 + " bytes, path 2 " + on2);
        // LIA is known to keep too much on the shared path (Khalili et al. 2013, the case OLIA was
        // designed for): here TCP keeps 73-81% over seeds 1-4 with LIA, 92-96% with OLIA and BALIA.
        double keep = cc.equals("lia") ? 0.7 : 0.8;
        assertTrue(g[1] >= keep * tcpAlone, cc + ": TCP " + g[1] + " B/s, alone " + tcpAlone);
    }

    @Test
    void everySubflowRegistersWithItsConnectionsGroupUntilItCloses() {
        long bytes = 1 << 20;
        MptcpSim s = MptcpTransferSimTest.twoPaths(bytes, 3, new MptcpConfig().congestionControl("olia"), new MptcpConfig());
        MptcpTransferSimTest.joinThenRun(s, 0);
        assertTrue(s.run(() -> s.serverConn() != null && s.serverConn().subflows().size() == 2, 5_000_000));
        assertEquals(2, s.clientConn.congestionControl().size(), "both subflows in the client's group");
        assertEquals("olia", s.clientConn.congestionControl().name());
        assertEquals("lia", s.serverConn().congestionControl().name(), "the default, per connection");
        assertEquals(2, s.serverConn().congestionControl().size());
        for (MptcpSubflow sf : s.clientConn.subflows()) {
            assertEquals("olia", sf.tcp.congestionControl().name());
        }
        MptcpTransferSimTest.finish(s, 60_000_000);
        assertTrue(s.run(() -> s.clientConn.congestionControl().size() == 0, 200_000_000),
                () -> "closed subflows still registered: " + s.clientConn);
    }
}
