package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The limits of issue 13, enforced and counted, on the simulator: connections per stack,
 * subflows per connection, out-of-order data held per connection. (Remembered remote addresses:
 * {@code DefaultPathManagerTest}.) The legitimate transfer stays intact throughout.
 */
class LimitsSimTest {
    static final long BYTES = HostileInputSimTest.BYTES;

    /** Records what the server sends to the client's first address, besides the fixture's own tap. */
    static List<Segment> serverToC1(HostileNet n) {
        List<Segment> got = new ArrayList<>();
        Link down = n.net.paths.get(0).down;
        Consumer<Packet> before = down.tap;
        down.tap = p -> {
            before.accept(p);
            got.add(p.segment());
        };
        return got;
    }

    static HostileNet running(long seed, MptcpConfig server) {
        return running(seed, new MptcpConfig(), server);
    }

    /** A transfer under way on two subflows (a quarter done), both apps holding their connections open. */
    static HostileNet running(long seed, MptcpConfig client, MptcpConfig server) {
        HostileNet n = HostileInputSimTest.twoPaths(seed, client, server, 64);
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        assertTrue(n.run(() -> n.serverConn() != null && n.serverConn().subflows().size() == 2
                && n.serverApp.received > BYTES / 4, 5_000_000), n::describe);
        return n;
    }

    static Segment mpCapableSyn(int srcPort, SplittableRandom r) {
        return Segment.of(new TcpHeader(srcPort, HostileNet.PORT, r.nextInt(), 0, TcpHeader.SYN, 65535, 0, 0,
                List.of(new TcpOption.Mss(1460), MptcpOption.MpCapable.syn(MptcpOption.CAP_H_HMAC_SHA256))));
    }

    /**
     * At the connection limit, with nothing half-open to evict, a SYN for a new connection gets a
     * RST at once, keeps no state and is counted; the live connection is untouched.
     */
    @Test
    void newConnectionsBeyondTheLimitAreRefusedWithARst() {
        HostileNet n = running(21, new MptcpConfig());
        n.net.server.engine().maxConnections(1); // the legitimate connection fills it
        List<Segment> back = serverToC1(n);
        SplittableRandom r = new SplittableRandom(21);
        for (int i = 0; i < 200; i++) {
            FourTuple t = new FourTuple(HostileNet.C1, 40_000 + i, HostileNet.S, HostileNet.PORT);
            n.inject(Packet.encode(t, mpCapableSyn(40_000 + i, r)), true);
        }
        Mib m = n.net.server.mib();
        assertEquals(200, n.counter(true, StackMib.CONNECTION_LIMIT_REFUSED));
        assertEquals(1, n.net.server.liveConnections());
        assertEquals(0, n.listener.halfOpen());
        assertEquals(0, m.get(MptcpMib.MPCapableSYNRX) - 1, "no MPTCP state made for the refused SYNs");
        n.run(() -> back.stream().filter(s -> s.header().has(TcpHeader.RST)).count() >= 200, 1_000_000);
        assertEquals(200, back.stream().filter(s -> s.header().has(TcpHeader.RST) && s.header().dstPort() >= 40_000)
                .count(), "each refused SYN answered with a RST");
        HostileInputSimTest.finishIntact(n, 30_000_000);
    }

    /**
     * At the connection limit a flood of SYNs evicts half-open connections rather than lock out
     * clients: the count stays at the limit, and a later client still connects.
     */
    @Test
    void atTheLimitHalfOpenConnectionsMakeRoomForNewOnes() {
        HostileNet n = HostileInputSimTest.twoPaths(22, new MptcpConfig(), new MptcpConfig(), 64);
        n.net.server.engine().maxConnections(8);
        SplittableRandom r = new SplittableRandom(22);
        for (int i = 0; i < 2_000; i++) {
            FourTuple t = HostileInputSimTest.randomSource(r);
            n.inject(Packet.encode(t, mpCapableSyn(t.localPort(), r)), true);
            assertTrue(n.net.server.liveConnections() <= 9, () -> "connections " + n.net.server.liveConnections());
        }
        assertTrue(n.counter(true, StackMib.HALF_OPEN_EVICTED) >= 2_000 - 8, n::describe);
        n.connect();
        HostileInputSimTest.finishIntact(n, 30_000_000);
    }

    /**
     * An MP_JOIN beyond the subflow limit, with the connection's real token: refused with a RST
     * that carries MP_TCPRST (administratively prohibited), counted; no subflow is added.
     */
    @Test
    void joinsBeyondTheSubflowLimitGetMpTcpRst() {
        HostileNet n = running(23, new MptcpConfig().maxSubflows(2));
        List<Segment> back = serverToC1(n);
        SplittableRandom r = new SplittableRandom(23);
        long before = n.net.server.mib().get(MptcpMib.MPJoinSynRejected);
        for (int i = 0; i < 50; i++) {
            FourTuple t = new FourTuple(HostileNet.C1, 41_000 + i, HostileNet.S, HostileNet.PORT);
            Segment syn = Segment.of(new TcpHeader(41_000 + i, HostileNet.PORT, r.nextInt(), 0, TcpHeader.SYN, 65535,
                    0, 0, List.of(new MptcpOption.MpJoinSyn(false, 7, n.serverToken, r.nextInt()))));
            n.inject(Packet.encode(t, syn), true);
        }
        assertEquals(50, n.net.server.mib().get(MptcpMib.MPJoinSynRejected) - before);
        assertEquals(0, n.net.server.mib().get(MptcpMib.MPJoinNoTokenFound), "the token was right");
        n.run(() -> rsts(back) >= 50, 1_000_000);
        for (Segment s : back) {
            if (s.header().has(TcpHeader.RST) && s.header().dstPort() >= 41_000) {
                assertEquals(List.of(new MptcpOption.MpTcpRst(0, MptcpOption.MpTcpRst.REASON_ADMIN_PROHIBITED)),
                        s.header().options());
            }
        }
        assertEquals(50, rsts(back));
        assertEquals(2, n.serverConn().subflows().size());
        HostileInputSimTest.finishIntact(n, 30_000_000);
    }

    static long rsts(List<Segment> back) {
        return back.stream().filter(s -> s.header().has(TcpHeader.RST) && s.header().dstPort() >= 41_000).count();
    }

    /**
     * With a small out-of-order limit (4 KiB, while two subflows deliver out of order all the
     * time) data beyond it is dropped and counted, and sent again: the transfer completes intact.
     */
    @Test
    void outOfOrderDataBeyondTheLimitIsDroppedAndTheTransferCompletes() {
        // the second path slower: much of its data arrives out of order
        HostileNet n = new HostileNet(24, new MptcpConfig(), new MptcpConfig().maxOutOfOrder(4096), BYTES, 128, 64,
                HostileNet.link(50_000_000, 10_000), HostileNet.link(20_000_000, 40_000));
        n.connect();
        HostileInputSimTest.finishIntact(n, 60_000_000);
        assertTrue(n.net.server.mib().get(MptcpMib.OFODrop) >= 1, n::describe);
    }
}
