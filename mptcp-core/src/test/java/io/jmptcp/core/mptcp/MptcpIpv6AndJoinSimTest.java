package io.jmptcp.core.mptcp;

import io.jmptcp.core.mib.MptcpMib;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import java.net.Inet6Address;
import java.util.ArrayList;
import io.jmptcp.core.pm.PmConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IPv6 subflows, and MP_JOIN SYNs that must be refused with MP_TCPRST. */
class MptcpIpv6AndJoinSimTest {

    @Test
    void ipv6EndToEndWithTwoSubflows() {
        long bytes = 4 << 20;
        MptcpSim s = new MptcpSim(List.of("fd00:1::1", "fd00:2::1"), List.of("fd00:9::1"), new MptcpConfig(),
                new MptcpConfig(), bytes, bytes, 31);
        s.path("fd00:1::1", "fd00:9::1", 50_000_000, 10_000);
        s.path("fd00:2::1", "fd00:9::1", 50_000_000, 10_000);
        MptcpTransferSimTest.joinThenRun(s, "fd00:9::1");
        MptcpTransferSimTest.finish(s, 30_000_000);
        assertEquals(2, s.clientConn.subflows().size());
        for (MptcpSubflow sf : s.clientConn.subflows()) {
            assertTrue(sf.tuple.localAddress() instanceof Inet6Address);
            assertTrue(sf.queued() > 0 && sf.subflowBytesDelivered > 0, sf::toString);
        }
        assertEquals(0, s.net.unroutable);
    }

    @Test
    void clientJoinsOnlyFromAddressesOfThePeersFamily() {
        long bytes = 1 << 20;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "fd00:2::1", "10.0.3.1"), List.of("10.0.9.1"),
                new MptcpConfig(), new MptcpConfig(), bytes, bytes, 32);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("10.0.3.1", "10.0.9.1", 50_000_000, 10_000);
        MptcpTransferSimTest.joinThenRun(s, 0);
        MptcpTransferSimTest.finish(s, 30_000_000);
        assertEquals(2, s.clientConn.subflows().size());
        assertEquals("10.0.3.1", s.clientConn.subflows().get(1).tuple.localAddress().getHostAddress());
        assertEquals(0, s.net.unroutable);
    }

    @Test
    void maxSubflowsLimitsJoins() {
        long bytes = 1 << 20;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1", "10.0.3.1"), List.of("10.0.9.1"),
                new MptcpConfig().maxSubflows(2), new MptcpConfig(), bytes, bytes, 33);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("10.0.2.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("10.0.3.1", "10.0.9.1", 50_000_000, 10_000);
        MptcpTransferSimTest.joinThenRun(s, 0);
        MptcpTransferSimTest.finish(s, 30_000_000);
        assertEquals(2, s.clientConn.subflows().size());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPJoinSynRx));
    }

    @Test
    void joinWithUnknownTokenGetsResetWithMpTcpRst() {
        MptcpSim s = new MptcpSim(List.of("10.0.1.1"), List.of("10.0.9.1"), new MptcpConfig(), new MptcpConfig(),
                0, 0, 34);
        MultiPathNet.Path p = s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        List<Segment> back = new ArrayList<>();
        p.down.tap = pk -> back.add(pk.segment());
        FourTuple t = new FourTuple(p.serverAddr, MptcpSim.PORT, p.clientAddr, 45000);
        TcpHeader syn = new TcpHeader(45000, MptcpSim.PORT, 1234, 0, TcpHeader.SYN, 65535, 0, 0,
                List.of(new MptcpOption.MpJoinSyn(false, 1, 0xdeadbeef, 77)));
        s.net.server.receive(t, Segment.of(syn));
        s.run(() -> !back.isEmpty(), 1_000_000);
        assertEquals(1, back.size());
        TcpHeader r = back.get(0).header();
        assertTrue(r.has(TcpHeader.RST));
        assertEquals(1235, r.ack());
        assertEquals(List.of(new MptcpOption.MpTcpRst(0, MptcpOption.MpTcpRst.REASON_MPTCP_ERROR)), r.options());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPJoinSynRejected));
        assertTrue(s.net.server.accepted.isEmpty());
        assertTrue(s.run(() -> s.net.server.liveConnections() == 0, 1_000_000));
    }

    @Test
    void lostFourthAckIsRepeatedAfterTheThirdAckIsRetransmitted() {
        long bytes = 1 << 20;
        // The server sends nothing: its data would carry DSS and establish the join by itself.
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), bytes, 0, 35);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        MultiPathNet.Path p2 = s.path("10.0.2.1", "10.0.9.1", 50_000_000, 10_000);
        boolean[] dropped = {false};
        p2.down.filter = pk -> {
            Segment x = pk.segment();
            boolean fourth = !x.header().has(TcpHeader.SYN) && x.length() == 0 && !dropped[0];
            if (fourth) {
                dropped[0] = true;
                return null;
            }
            return pk;
        };
        List<MptcpOption.MpJoinAck> thirdAcks = new ArrayList<>();
        p2.up.tap = pk -> pk.segment().header().options().stream().filter(o -> o instanceof MptcpOption.MpJoinAck)
                .forEach(o -> thirdAcks.add((MptcpOption.MpJoinAck) o));
        MptcpTransferSimTest.joinThenRun(s, 0);
        MptcpTransferSimTest.finish(s, 30_000_000);
        assertTrue(dropped[0]);
        assertTrue(thirdAcks.size() >= 2, "third ACK sent " + thirdAcks.size() + " times");
        assertArrayEquals(thirdAcks.get(0).hmac(), thirdAcks.get(1).hmac());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPJoinAckRx));
    }

    /** A middlebox that rewrites the MPTCP options of the segments that pass. */
    static java.util.function.UnaryOperator<io.jmptcp.core.sim.Packet> rewrite(
            java.util.function.UnaryOperator<io.jmptcp.core.wire.TcpOption> f) {
        return p -> {
            Segment x = p.segment();
            TcpHeader h = x.header();
            List<io.jmptcp.core.wire.TcpOption> opts = h.options().stream().map(f).toList();
            TcpHeader n = new TcpHeader(h.srcPort(), h.dstPort(), h.seq(), h.ack(), h.flags(), h.window(), 0, 0, opts);
            return p.with(new Segment(n, x.data(), x.offset(), x.length()));
        };
    }

    @Test
    void joinSynAckWithWrongHmacIsResetAndTheConnectionCarriesOn() {
        long bytes = 1 << 20;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), bytes, bytes, 36);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        MultiPathNet.Path p2 = s.path("10.0.2.1", "10.0.9.1", 50_000_000, 10_000);
        p2.down.filter = rewrite(o -> o instanceof MptcpOption.MpJoinSynAck j
                ? new MptcpOption.MpJoinSynAck(j.backup(), j.addressId(), j.truncatedHmac() ^ 1, j.nonce()) : o);
        s.clientApp.holdOpen = true;
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.net.client.mib().get(MptcpMib.MPJoinSynAckHMacFailure) == 1, 5_000_000));
        s.clientApp.holdOpen = false;
        s.net.client.step();
        assertTrue(s.run(s::transferDone, 30_000_000), () -> s.clientConn.toString());
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash());
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPRstTx));
        assertEquals(0, s.net.client.mib().get(MptcpMib.MPJoinSynAckRx));
        assertEquals(0, s.net.server.mib().get(MptcpMib.MPJoinAckRx));
    }

    @Test
    void joinThirdAckWithWrongHmacIsResetByTheListener() {
        long bytes = 1 << 20;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), bytes, bytes, 37);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        MultiPathNet.Path p2 = s.path("10.0.2.1", "10.0.9.1", 50_000_000, 10_000);
        p2.up.filter = rewrite(o -> {
            if (o instanceof MptcpOption.MpJoinAck a) {
                byte[] h = a.hmac();
                h[0] ^= 1;
                return new MptcpOption.MpJoinAck(h);
            }
            return o;
        });
        s.clientApp.holdOpen = true;
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.net.server.mib().get(MptcpMib.MPJoinAckHMacFailure) == 1, 5_000_000));
        s.clientApp.holdOpen = false;
        s.net.client.step();
        assertTrue(s.run(s::transferDone, 30_000_000), () -> s.clientConn.toString());
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash());
        assertArrayEquals(s.serverApp.sentHash(), s.clientApp.receivedHash());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPRstTx));
        assertEquals(0, s.net.server.mib().get(MptcpMib.MPJoinAckRx));
        assertEquals(0, s.net.client.mib().get(MptcpMib.MPJoinFourthAckRx));
    }

    @Test
    void oneConnectionWithAnIpv4AndAnIpv6Subflow() {
        long bytes = 4 << 20;
        // The client acts on one announcement (Linux: ip mptcp limits set add_addr_accepted 1).
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "fd00:1::1"), List.of("10.0.9.1", "fd00:9::1"),
                new MptcpConfig().pm(new PmConfig().addAddrAccepted(1)), new MptcpConfig().announce(true), bytes,
                bytes, 38);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("fd00:1::1", "fd00:9::1", 50_000_000, 10_000);
        List<MptcpOption.AddAddr> adds = new ArrayList<>();
        s.net.paths.get(0).down.tap = pk -> pk.segment().header().options().stream()
                .filter(o -> o instanceof MptcpOption.AddAddr).forEach(o -> adds.add((MptcpOption.AddAddr) o));
        MptcpTransferSimTest.joinThenRun(s, "10.0.9.1");
        MptcpTransferSimTest.finish(s, 30_000_000);
        // The server announced its IPv6 address with a valid HMAC; the client echoed it and joined.
        assertEquals(1, s.net.client.mib().get(MptcpMib.AddAddr));
        assertEquals(1, s.net.server.mib().get(MptcpMib.Echo));
        MptcpOption.AddAddr a = adds.get(0);
        assertEquals("fd00:9:0:0:0:0:0:1", a.address().getHostAddress());
        assertEquals(MptcpCrypto.addAddrHmac(s.serverConn().localKey(), s.clientConn.localKey(), a.addressId(),
                a.address(), -1), a.truncatedHmac());
        List<MptcpSubflow> sf = s.clientConn.subflows();
        assertEquals(2, sf.size());
        assertTrue(sf.get(0).tuple.remoteAddress() instanceof java.net.Inet4Address);
        assertTrue(sf.get(1).tuple.remoteAddress() instanceof Inet6Address);
        for (MptcpSubflow x : sf) {
            assertTrue(x.queued() > 0 && x.subflowBytesDelivered > 0, x::toString);
        }
    }

    @Test
    void addAddrWithWrongHmacIsIgnored() {
        long bytes = 1 << 20;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "fd00:1::1"), List.of("10.0.9.1", "fd00:9::1"),
                new MptcpConfig(), new MptcpConfig().announce(true), bytes, bytes, 39);
        MultiPathNet.Path p = s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("fd00:1::1", "fd00:9::1", 50_000_000, 10_000);
        p.down.filter = rewrite(o -> o instanceof MptcpOption.AddAddr x && !x.echo()
                ? new MptcpOption.AddAddr(false, x.addressId(), x.address(), x.port(), x.truncatedHmac() ^ 1) : o);
        s.clientApp.holdOpen = true;
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.net.client.mib().get(MptcpMib.OptionInvalid) >= 1, 5_000_000));
        s.clientApp.holdOpen = false;
        s.net.client.step();
        assertTrue(s.run(s::transferDone, 30_000_000));
        assertEquals(0, s.net.client.mib().get(MptcpMib.AddAddr));
        assertEquals(0, s.net.server.mib().get(MptcpMib.Echo));
        assertEquals(1, s.clientConn.subflows().size());
    }
}
