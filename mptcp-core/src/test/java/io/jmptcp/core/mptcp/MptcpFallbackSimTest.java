package io.jmptcp.core.mptcp;

import io.jmptcp.core.mib.MptcpMib;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Fallback to plain TCP (RFC 8684 section 3.7) without losing a byte, with middleboxes in the
 * simulator that strip MPTCP options; DSS checksums in all four combinations; MP_FASTCLOSE.
 */
class MptcpFallbackSimTest {
    static final long BYTES = 2 << 20;

    static MptcpSim onePath(MptcpConfig c, MptcpConfig s, long seed) {
        MptcpSim sim = new MptcpSim(List.of("10.0.1.1"), List.of("10.0.9.1"), c, s, BYTES, BYTES, seed);
        sim.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        return sim;
    }

    /** A middlebox that removes every MPTCP option from the segments that match. */
    static UnaryOperator<Packet> strip(Predicate<Segment> which) {
        return p -> {
            Segment s = p.segment();
            if (!which.test(s)) {
                return p;
            }
            List<TcpOption> kept = new ArrayList<>();
            for (TcpOption o : s.header().options()) {
                if (!(o instanceof MptcpOption)) {
                    kept.add(o);
                }
            }
            TcpHeader h = s.header();
            TcpHeader n = new TcpHeader(h.srcPort(), h.dstPort(), h.seq(), h.ack(), h.flags(), h.window(), 0, 0, kept);
            return p.with(new Segment(n, s.data(), s.offset(), s.length()));
        };
    }

    static void runIntact(MptcpSim s) {
        s.connect("10.0.9.1");
        assertTrue(s.run(s::transferDone, 60_000_000), () -> "not done: " + s.clientConn + "\n" + s.serverConn()
                + "\n" + s.net.client.mib() + "\n" + s.net.server.mib());
        assertEquals(BYTES, s.clientApp.received);
        assertEquals(BYTES, s.serverApp.received);
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash());
        assertArrayEquals(s.serverApp.sentHash(), s.clientApp.receivedHash());
    }

    static boolean isSyn(Segment s) {
        return s.header().has(TcpHeader.SYN) && !s.header().has(TcpHeader.ACK);
    }

    @Test
    void peerWithoutMptcp() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig().enabled(false), 21);
        runIntact(s);
        assertTrue(s.clientConn.fellBack());
        assertFalse(s.serverConn().isMptcp());
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPCapableFallbackSYNACK));
    }

    /**
     * After fallback, the peer closes first: our FIN's ACK takes the subflow from LAST_ACK to
     * CLOSED in one step, and the connection must still count its DATA_FIN as acknowledged and
     * close cleanly (it once failed as "connection reset", a flake of the kernel test
     * fallbackWhenDssIsStrippedFromDataMidConnection).
     */
    @Test
    void afterFallbackThePeerClosingFirstStillEndsCleanly() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig().enabled(false), 27);
        s.clientApp.holdOpen = true;
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.clientApp.eof && s.clientApp.written == BYTES, 60_000_000), () -> s.clientConn.toString());
        s.clientApp.holdOpen = false; // the server's FIN is in: we close second (CLOSE_WAIT, LAST_ACK)
        s.net.client.step();
        assertTrue(s.run(s::transferDone, 60_000_000), () -> "not done: " + s.clientConn + "\n" + s.serverConn());
        assertEquals(Connection.State.CLOSED, s.clientConn.state());
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash());
    }

    @Test
    void optionStrippedFromSyn() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig(), 22);
        s.net.paths.get(0).up.filter = strip(MptcpFallbackSimTest::isSyn);
        runIntact(s);
        assertTrue(s.clientConn.fellBack());
        assertFalse(s.serverConn().isMptcp());
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPCapableFallbackSYNACK));
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPCapableSYNRXPlain));
        assertEquals(0, s.net.server.mib().get(MptcpMib.MPCapableSYNRX));
    }

    @Test
    void optionStrippedFromSynAck() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig(), 23);
        s.net.paths.get(0).down.filter = strip(x -> x.header().has(TcpHeader.SYN));
        runIntact(s);
        assertTrue(s.clientConn.fellBack());
        assertTrue(s.serverConn().fellBack());
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPCapableFallbackSYNACK));
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPCapableFallbackACK));
    }

    @Test
    void optionStrippedFromThirdAck() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig(), 24);
        boolean[] first = {true};
        s.net.paths.get(0).up.filter = strip(x -> {
            if (!isSyn(x) && first[0]) {
                first[0] = false;
                return true; // the third ACK only
            }
            return false;
        });
        runIntact(s);
        assertTrue(s.serverConn().fellBack());
        assertTrue(s.clientConn.fellBack());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPCapableFallbackACK));
    }

    @Test
    void thirdAckLostThenMpCapableWithDataCompletesTheHandshake() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig(), 29);
        boolean[] dropped = {false};
        s.net.paths.get(0).up.filter = p -> {
            Segment x = p.segment();
            if (!dropped[0] && !isSyn(x) && x.length() == 0) {
                dropped[0] = true;
                return null; // the pure third ACK is lost
            }
            return p;
        };
        runIntact(s);
        assertTrue(dropped[0]);
        assertTrue(s.clientConn.isMptcp());
        assertTrue(s.serverConn().isMptcp());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPCapableACKRX));
        assertEquals(0, s.net.server.mib().get(MptcpMib.MPCapableFallbackACK));
    }

    /**
     * The path loses everything the client sends after its SYN until the server's SYN/ACK has
     * been sent three times (seen in the soak with a kernel server: a path blackholed just after
     * the SYN/ACK). The first client segment through is its answer to a repeated SYN/ACK, a pure
     * ACK past ISN+1, so without MP_CAPABLE: the server falls back (wire facts 1.5), and the
     * client must follow when plain data comes. It could not: its connection-level
     * retransmission had sent the request again on the same subflow meanwhile, which rules out
     * fallback, and it reset its only subflow. Before the peer has acknowledged anything at the
     * data level there is one subflow and TCP retransmits on it; nothing goes out again at the
     * data level, and the transfer ends intact over plain TCP.
     */
    @Test
    void aPathLostAfterTheSynAckEndsInFallbackNotInAReset() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig(), 31);
        int[] synAcks = {0};
        s.net.paths.get(0).down.tap = p -> {
            TcpHeader h = p.segment().header();
            if (h.has(TcpHeader.SYN) && h.has(TcpHeader.ACK)) {
                synAcks[0]++;
            }
        };
        s.net.paths.get(0).up.filter = p -> isSyn(p.segment()) || synAcks[0] >= 3 ? p : null;
        runIntact(s);
        assertTrue(synAcks[0] >= 3);
        assertTrue(s.serverConn().fellBack() && s.clientConn.fellBack());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPCapableFallbackACK));
        assertEquals(0, s.net.client.mib().get(MptcpMib.MPTCPRetrans));
        assertEquals(0, s.net.client.mib().get(MptcpMib.MPRstTx));
    }

    @Test
    void dssStrippedFromDataMidConnection() {
        MptcpSim s = onePath(new MptcpConfig(), new MptcpConfig(), 25);
        int[] dataSegs = {0};
        s.net.paths.get(0).up.filter = strip(x -> x.length() > 0 && ++dataSegs[0] > 200);
        runIntact(s);
        assertTrue(s.serverConn().fellBack());
        assertTrue(s.clientConn.fellBack());
        assertEquals(1, s.net.server.mib().get(MptcpMib.DSSFallback));
        assertEquals(1, s.net.client.mib().get(MptcpMib.DSSFallback));
    }

    @ParameterizedTest
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void checksumInAllFourCombinations(boolean client, boolean server) {
        MptcpSim s = onePath(new MptcpConfig().checksum(client), new MptcpConfig().checksum(server), 26);
        List<MptcpOption.Dss> dss = new ArrayList<>();
        s.net.paths.get(0).up.tap = p -> p.segment().header().options().stream()
                .filter(o -> o instanceof MptcpOption.Dss d && d.hasMapping()).forEach(o -> dss.add((MptcpOption.Dss) o));
        runIntact(s);
        boolean expected = client || server;
        assertEquals(expected, s.clientConn.checksumsInUse());
        assertEquals(expected, s.serverConn().checksumsInUse());
        assertTrue(s.clientConn.isMptcp());
        assertFalse(dss.isEmpty());
        assertTrue(dss.stream().allMatch(d -> d.hasChecksum() == expected));
        assertEquals(0, s.net.client.mib().get(MptcpMib.DataCsumErr));
        assertEquals(0, s.net.server.mib().get(MptcpMib.DataCsumErr));
    }

    /** A middlebox that flips one payload byte of the {@code nth} data segment (an ALG rewriting data). */
    static UnaryOperator<Packet> corruptNth(int nth) {
        int[] n = {0};
        return p -> {
            Segment x = p.segment();
            if (x.length() > 100 && ++n[0] == nth) {
                byte[] copy = java.util.Arrays.copyOfRange(x.data(), x.offset(), x.offset() + x.length());
                copy[10] ^= 0x55; // the TCP checksum is fixed up, only the DSS checksum can tell
                return p.with(new Segment(x.header(), copy, 0, copy.length));
            }
            return p;
        };
    }

    @Test
    void checksumFailureOnTheOnlySubflowSendsMpFailAndFallsBack() {
        MptcpSim s = onePath(new MptcpConfig().checksum(true), new MptcpConfig(), 27);
        s.net.paths.get(0).up.filter = corruptNth(50);
        List<TcpOption> down = new ArrayList<>();
        List<MptcpOption.Dss> up = new ArrayList<>();
        s.net.paths.get(0).down.tap = p -> down.addAll(p.segment().header().options());
        s.net.paths.get(0).up.tap = p -> p.segment().header().options().stream()
                .filter(o -> o instanceof MptcpOption.Dss).forEach(o -> up.add((MptcpOption.Dss) o));
        s.connect("10.0.9.1");
        assertTrue(s.run(s::transferDone, 60_000_000), () -> s.clientConn + "\n" + s.serverConn() + "\n"
                + s.net.client.mib() + "\n" + s.net.server.mib());
        // Section 3.7: the receiver names the mapping in MP_FAIL, the sender answers with MP_FAIL and
        // an infinite mapping, both fall back; the stream goes on as TCP delivered it (one byte changed).
        assertEquals(1, s.net.server.mib().get(MptcpMib.DataCsumErr));
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPFailTx));
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPFailRx));
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPFailTx));
        assertEquals(1, s.net.client.mib().get(MptcpMib.InfiniteMapTx));
        assertTrue(down.stream().anyMatch(o -> o instanceof MptcpOption.MpFail));
        assertTrue(up.stream().anyMatch(d -> d.hasMapping() && d.dataLevelLength() == 0));
        assertTrue(s.clientConn.fellBack());
        assertTrue(s.serverConn().fellBack());
        assertEquals(BYTES, s.serverApp.received);
        assertEquals(BYTES, s.clientApp.received);
        assertFalse(java.util.Arrays.equals(s.clientApp.sentHash(), s.serverApp.receivedHash()));
        assertArrayEquals(s.serverApp.sentHash(), s.clientApp.receivedHash());
    }

    @Test
    void checksumFailureWithAnotherSubflowResetsItAndTheDataIsReinjected() {
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"),
                new MptcpConfig().checksum(true), new MptcpConfig(), BYTES, BYTES, 30);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("10.0.2.1", "10.0.9.1", 50_000_000, 10_000);
        MptcpTransferSimTest.joinThenRun(s, 0);
        s.net.paths.get(0).up.filter = corruptNth(20);
        MptcpTransferSimTest.finish(s, 60_000_000); // intact both ways
        assertEquals(1, s.net.server.mib().get(MptcpMib.DataCsumErr));
        assertEquals(0, s.net.server.mib().get(MptcpMib.MPFailTx));
        assertTrue(s.net.server.mib().get(MptcpMib.MPRstTx) >= 1);
        assertTrue(s.net.client.mib().get(MptcpMib.MPRstRx) >= 1);
        assertTrue(s.clientConn.isMptcp());
    }

    @Test
    void fastcloseFromClient() {
        fastclose(true);
    }

    @Test
    void fastcloseFromServer() {
        fastclose(false);
    }

    private void fastclose(boolean clientAborts) {
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), BYTES, BYTES, 28);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("10.0.2.1", "10.0.9.1", 50_000_000, 10_000);
        MptcpTransferSimTest.joinThenRun(s, 0);
        assertTrue(s.run(() -> s.serverApp.received > BYTES / 4, 10_000_000));
        MptcpConnection aborter = clientAborts ? s.clientConn : s.serverConn();
        MptcpConnection peer = clientAborts ? s.serverConn() : s.clientConn;
        aborter.abort();
        (clientAborts ? s.net.client : s.net.server).step();
        assertTrue(s.run(() -> peer.state() == Connection.State.FAILED, 1_000_000));
        var am = (clientAborts ? s.net.client : s.net.server).mib();
        var pm = (clientAborts ? s.net.server : s.net.client).mib();
        assertEquals(2, am.get(MptcpMib.MPFastcloseTx));
        assertTrue(pm.get(MptcpMib.MPFastcloseRx) >= 1);
        assertEquals(Failure.Kind.FASTCLOSE, peer.failure().kind());
        assertTrue(peer.failure().detail().contains("MP_FASTCLOSE"), peer.failure().detail());
        // No state left on either side: every subflow closed and the token released.
        assertTrue(s.run(() -> s.net.client.liveConnections() == 0 && s.net.server.liveConnections() == 0, 2_000_000),
                () -> s.clientConn + "\n" + s.serverConn());
        assertEquals(null, s.clientFactory.lookup(MptcpCrypto.token(s.clientConn.localKey())));
        assertEquals(null, s.serverFactory.lookup(MptcpCrypto.token(s.serverConn().localKey())));
    }
}
