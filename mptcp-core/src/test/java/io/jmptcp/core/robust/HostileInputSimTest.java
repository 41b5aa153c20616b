package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.mib.TcpMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Network-side attacks on the simulator, on virtual time: each is counted where Linux counts it,
 * keeps no state it should not, and leaves the legitimate transfer intact byte for byte.
 */
class HostileInputSimTest {
    static final long BYTES = 1 << 20;

    static HostileNet twoPaths(long seed, MptcpConfig c, MptcpConfig s, int maxHalfOpen) {
        return new HostileNet(seed, c, s, BYTES, 128, maxHalfOpen, HostileNet.link(50_000_000, 10_000));
    }

    static void finishIntact(HostileNet n, long limit) {
        n.release();
        assertTrue(n.run(n::transferDone, limit), n::describe);
        assertEquals(BYTES, n.clientApp.received);
        assertEquals(BYTES, n.serverApp.received);
        assertEquals(-1, n.clientApp.firstCorrupt);
        assertEquals(-1, n.serverApp.firstCorrupt);
    }

    /** The server's last packet to the client on the path of {@code clientAddr}: its ACK is the server's rcv.nxt. */
    static Packet lastFromServer(HostileNet n, java.net.InetAddress clientAddr) {
        Packet p = n.lastServerTo.get(clientAddr);
        assertTrue(p != null, "no packet from the server to " + clientAddr);
        return p;
    }

    static FourTuple randomSource(SplittableRandom r) {
        return new FourTuple(InboundFuzzTest.randomV4(r), 1024 + r.nextInt(60_000), HostileNet.S, HostileNet.PORT);
    }

    @Test
    void joinWithAnUnknownTokenIsResetAndKeepsNoState() {
        HostileNet n = twoPaths(1, new MptcpConfig(), new MptcpConfig(), 64);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 1000; i++) {
            FourTuple t = randomSource(r);
            Segment syn = Segment.of(new TcpHeader(t.localPort(), HostileNet.PORT, r.nextInt(), 0, TcpHeader.SYN, 65535,
                    0, 0, List.of(new MptcpOption.MpJoinSyn(false, 1, r.nextInt(), r.nextInt()))));
            n.inject(Packet.encode(t, syn), true);
        }
        Mib m = n.net.server.mib();
        assertEquals(1000, m.get(MptcpMib.MPJoinNoTokenFound));
        assertEquals(1000, m.get(MptcpMib.MPRstTx));
        assertEquals(0, m.get(MptcpMib.MPJoinSynRx));
        assertEquals(0, n.net.server.liveConnections(), "no state kept");
        assertEquals(0, n.listener.halfOpen());
        assertEquals(0, n.serverFactory.tokenCount());
    }

    /**
     * 100,000 SYNs with MP_CAPABLE from random sources, 10 every millisecond, while a client
     * connects and moves 1 MiB each way: the SYN queue stays at its bound, SYNs beyond it get SYN
     * cookies and leave no state (no token either), and the client's handshake (by cookie), its
     * join and its transfer complete during the flood.
     */
    @Test
    void synFloodKeepsStateBoundedAndALegitimateClientGetsThrough() {
        int maxHalfOpen = 256;
        HostileNet n = twoPaths(2, new MptcpConfig(), new MptcpConfig(), maxHalfOpen);
        SplittableRandom r = new SplittableRandom(2);
        int[] sent = {0};
        int[] most = {0};
        Runnable[] flood = new Runnable[1];
        flood[0] = () -> {
            for (int k = 0; k < 10 && sent[0] < 100_000; k++, sent[0]++) {
                FourTuple t = randomSource(r);
                Segment syn = Segment.of(new TcpHeader(t.localPort(), HostileNet.PORT, r.nextInt(), 0, TcpHeader.SYN,
                        65535, 0, 0, List.of(new TcpOption.Mss(1460), MptcpOption.MpCapable.syn(MptcpOption.CAP_H_HMAC_SHA256))));
                n.inject(Packet.encode(t, syn), true);
            }
            most[0] = Math.max(most[0], n.net.server.liveConnections());
            assertTrue(n.listener.halfOpen() <= maxHalfOpen);
            assertTrue(n.serverFactory.tokenCount() <= maxHalfOpen + 2, () -> "tokens " + n.serverFactory.tokenCount());
            if (sent[0] < 100_000) {
                n.net.sim.after(1_000, flood[0]);
            }
        };
        n.net.sim.after(0, flood[0]);
        n.net.sim.after(500_000, n::connect); // the flood has filled the SYN queue by then
        assertTrue(n.run(() -> n.clientConn != null && n.transferDone(), 9_000_000), n::describe);
        assertTrue(sent[0] < 100_000, "the transfer finished during the flood, after " + sent[0] + " SYNs");
        finishIntact(n, 9_000_000);
        assertTrue(n.run(() -> sent[0] == 100_000, 20_000_000));
        assertEquals(100_000, sent[0]);
        assertTrue(most[0] <= 2 + maxHalfOpen, "most connections " + most[0]);
        // Past the bound every SYN got a cookie and nothing was evicted; the client's connection
        // is the one cookie that came back (its SYN came after the queue was full).
        assertEquals(0, n.counter(true, StackMib.HALF_OPEN_EVICTED));
        assertTrue(n.counter(true, StackMib.SYN_COOKIES_SENT) >= 100_000 - maxHalfOpen,
                "cookies " + n.counter(true, StackMib.SYN_COOKIES_SENT));
        assertEquals(1, n.counter(true, StackMib.SYN_COOKIES_RECV));
        assertEquals(0, n.counter(true, StackMib.SYN_COOKIES_FAILED));
        assertEquals(0, n.counter(true, StackMib.CONNECTION_ERRORS));
    }

    /**
     * RFC 5961 blind injection on a live subflow: RSTs and SYNs in the window but not at rcv.nxt
     * get rate-limited challenge ACKs, out-of-window RSTs and data are dropped; the transfer
     * completes intact.
     */
    @Test
    void blindInjectionIsChallengedAndRateLimited() {
        HostileNet n = twoPaths(3, new MptcpConfig(), new MptcpConfig(), 64);
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        assertTrue(n.run(() -> n.serverApp.received > BYTES / 4, 5_000_000), n::describe);
        SplittableRandom r = new SplittableRandom(3);
        Packet last = lastFromServer(n, HostileNet.C1);
        FourTuple from = last.tuple().reversed();
        int rcvNxt = last.segment().header().ack();
        int ack = last.segment().header().seq();
        for (int i = 0; i < 300; i++) {
            int inWindow = rcvNxt + 1 + r.nextInt(30_000);
            int outside = rcvNxt + 10_000_000 + r.nextInt(1 << 30);
            for (Segment s : List.of(
                    Segment.of(new TcpHeader(from.localPort(), from.remotePort(), inWindow, 0, TcpHeader.RST, 0, 0, 0, List.of())),
                    Segment.of(new TcpHeader(from.localPort(), from.remotePort(), outside, 0, TcpHeader.RST, 0, 0, 0, List.of())),
                    Segment.of(new TcpHeader(from.localPort(), from.remotePort(), inWindow, 0, TcpHeader.SYN, 65535, 0, 0, List.of())),
                    new Segment(new TcpHeader(from.localPort(), from.remotePort(), outside, ack, TcpHeader.ACK, 65535, 0, 0,
                            List.of()), new byte[100], 0, 100))) {
                n.inject(Packet.encode(from, s), true);
            }
        }
        Mib m = n.net.server.mib();
        long acks = m.get(TcpMib.CHALLENGE_ACKS);
        long limited = m.get(TcpMib.CHALLENGE_ACK_LIMITED);
        assertTrue(acks <= 100, "challenge ACKs " + acks); // at most 100 per second (TcpConfig.challengeAckLimit)
        assertTrue(acks + limited >= 500 && limited >= 400, "challenged " + acks + ", limited " + limited);
        assertTrue(m.get(TcpMib.DROP_RST_OUT_OF_WINDOW) >= 300, m::toString);
        assertEquals(0, m.get(TcpMib.RESETS_RECEIVED));
        finishIntact(n, 30_000_000);
    }

    /** A DATA_ACK for data never sent is ignored: the sender frees nothing it still needs. */
    @Test
    void dataAckForDataNeverSentIsIgnored() {
        HostileNet n = twoPaths(4, new MptcpConfig(), new MptcpConfig(), 64);
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        assertTrue(n.run(() -> n.serverApp.received > BYTES / 4, 5_000_000), n::describe);
        Packet last = lastFromServer(n, HostileNet.C1);
        FourTuple from = last.tuple().reversed();
        TcpHeader h = last.segment().header();
        String before = n.serverConn().toString();
        // An in-window pure ACK from the client whose DATA_ACK lies far beyond what the server sent.
        MptcpOption.Dss d = MptcpOption.Dss.ackOnly(Long.MAX_VALUE / 3);
        n.inject(Packet.encode(from, Segment.of(new TcpHeader(from.localPort(), from.remotePort(), h.ack(), h.seq(),
                TcpHeader.ACK, h.window(), 0, 0, List.of(d)))), true);
        assertEquals(before.replaceAll(" wndEnd=\\d+", ""), n.serverConn().toString().replaceAll(" wndEnd=\\d+", ""),
                "dataUna unchanged");
        finishIntact(n, 30_000_000);
    }

    /**
     * Forged data that wins the race into the window with a wrong DSS checksum, on a connection
     * with two subflows: the subflow is reset (MP_TCPRST, middlebox interference), its data is
     * sent again on the other subflow, and not one forged byte reaches the application.
     */
    @Test
    void forgedDataWithAWrongChecksumNeverReachesTheApplication() {
        MptcpConfig c = new MptcpConfig().checksum(true);
        HostileNet n = twoPaths(5, c, new MptcpConfig().checksum(true), 64);
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        assertTrue(n.run(() -> n.serverConn() != null && n.serverConn().subflows().size() == 2
                && n.serverApp.received > BYTES / 4, 5_000_000), n::describe);
        // Nothing in flight to the server on path 1 for a moment, so its last ACK is its rcv.nxt.
        n.net.paths.get(0).up.setUp(false);
        n.net.sim.runTo(n.now() + 100_000);
        Packet last = lastFromServer(n, HostileNet.C1);
        FourTuple from = last.tuple().reversed();
        TcpHeader h = last.segment().header();
        MptcpOption.Dss real = InboundFuzzTest.dssOf(h);
        int isn = 0;
        for (HostileNet.Seen s : n.firstPackets) {
            Packet p = new Packet(0, s.bytes());
            if (s.fromClient() && !p.segment().header().has(TcpHeader.ACK) && p.tuple().localAddress().equals(HostileNet.C1)) {
                isn = p.segment().header().seq();
            }
        }
        byte[] junk = new byte[1000];
        new SplittableRandom(5).nextBytes(junk);
        // Exactly at rcv.nxt, mapped to the next DSN the server expects, with a made-up checksum.
        MptcpOption.Dss forged = new MptcpOption.Dss(false, false, 0, true, true, real.dataAck(), h.ack() - isn, 1000,
                false, true, 0x1234);
        n.inject(Packet.encode(from, new Segment(new TcpHeader(from.localPort(), from.remotePort(), h.ack(), h.seq(),
                TcpHeader.ACK, h.window(), 0, 0, List.of(forged)), junk, 0, junk.length)), true);
        n.net.paths.get(0).up.setUp(true);
        finishIntact(n, 30_000_000);
        Mib m = n.net.server.mib();
        assertTrue(m.get(MptcpMib.DataCsumErr) + m.get(MptcpMib.DSSNotMatching) >= 1, m::toString);
        assertTrue(m.get(MptcpMib.MPRstTx) >= 1, m::toString);
    }
}
