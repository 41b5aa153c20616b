package io.jmptcp.core.mptcp;

import static io.jmptcp.core.sim.MultiPathNet.addr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.pm.PmConfig;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Every {@link Failure.Kind} an MPTCP connection produces, each from the event that causes it, on
 * the simulated network (FASTCLOSE: {@link MptcpFallbackSimTest#fastcloseFromServer}).
 */
class MptcpFailureKindsSimTest {

    private static MptcpSim onePath(MptcpConfig cfg) {
        MptcpSim s = new MptcpSim(List.of("10.0.1.1"), List.of("10.0.9.1"), cfg, new MptcpConfig(),
                MptcpFallbackSimTest.BYTES, MptcpFallbackSimTest.BYTES, 41);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        return s;
    }

    @Test
    void rstToTheSynIsRefused() {
        MptcpSim s = onePath(new MptcpConfig());
        Connection c = s.net.client.connect(new InetSocketAddress(addr("10.0.9.1"), MptcpSim.PORT + 1));
        assertTrue(s.run(() -> c.state() == Connection.State.FAILED, 5_000_000));
        assertEquals(Failure.Kind.REFUSED, c.failure().kind());
        assertEquals("connection refused", c.failure().detail());
    }

    @Test
    void unansweredSynsTimeOut() {
        MptcpSim s = onePath(new MptcpConfig().tcp(new TcpConfig().synRetries(2)));
        s.net.paths.get(0).up.filter = p -> null; // a black hole
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.clientConn.state() == Connection.State.FAILED, 120_000_000));
        assertEquals(Failure.Kind.TIMEOUT, s.clientConn.failure().kind());
        assertTrue(s.clientConn.failure().detail().startsWith("connection timed out"), s.clientConn.failure().detail());
    }

    @Test
    void localAbortIsAborted() {
        MptcpSim s = onePath(new MptcpConfig());
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.clientConn.state() == Connection.State.ESTABLISHED, 5_000_000));
        assertNull(s.clientConn.failure());
        s.clientConn.abort();
        assertEquals(Failure.Kind.ABORTED, s.clientConn.failure().kind());
        // The peer learns it as MP_FASTCLOSE.
        assertTrue(s.run(() -> s.serverConn() != null && s.serverConn().state() == Connection.State.FAILED,
                5_000_000));
        assertEquals(Failure.Kind.FASTCLOSE, s.serverConn().failure().kind());
    }

    /**
     * A middlebox moves one DSS mapping past the bytes it came with (section 3.3: data without a
     * mapping): the receiver resets its only subflow with MP_TCPRST, so its connection failed for
     * a protocol error, and the sender sees the RST as a reset.
     */
    @Test
    void aBrokenMappingOnTheOnlySubflowIsAProtocolErrorAndAResetForThePeer() {
        // Without a close timeout the loss of the only subflow ends the connection at once.
        MptcpSim s = new MptcpSim(List.of("10.0.1.1"), List.of("10.0.9.1"), noCloseTimeout(),
                noCloseTimeout(), MptcpFallbackSimTest.BYTES, MptcpFallbackSimTest.BYTES, 41);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.net.paths.get(0).up.filter = shiftNthMapping(3);
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.clientConn.state() == Connection.State.FAILED && s.serverConn() != null
                && s.serverConn().state() == Connection.State.FAILED, 10_000_000),
                () -> s.clientConn + "\n" + s.serverConn());
        assertEquals(Failure.Kind.PROTOCOL_ERROR, s.serverConn().failure().kind());
        assertEquals(Failure.Kind.RESET, s.clientConn.failure().kind());
    }

    /**
     * The same broken mapping with the default close timeout: the receiver resets the subflow,
     * the connection survives without a subflow (break before make), the client re-creates one,
     * and every byte arrives intact both ways.
     */
    @Test
    void aBrokenMappingOnTheOnlySubflowIsSurvivedByARecreatedSubflow() {
        MptcpSim s = onePath(new MptcpConfig());
        s.net.paths.get(0).up.filter = shiftNthMapping(3);
        s.connect("10.0.9.1");
        assertTrue(s.run(s::transferDone, 30_000_000), () -> s.clientConn + "\n" + s.serverConn());
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash());
        assertArrayEquals(s.serverApp.sentHash(), s.clientApp.receivedHash());
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPRstTx));
        assertTrue(s.net.server.mib().get(MptcpMib.DSSNoMatchTCP) >= 1);
        assertEquals(1, s.net.client.mib().get(MptcpMib.SubflowRecreated));
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPJoinAckRx));
    }

    private static MptcpConfig noCloseTimeout() {
        return new MptcpConfig().pm(new PmConfig().closeTimeoutMicros(0));
    }

    /**
     * Moves the subflow sequence number of the {@code nth} DSS mapping ahead by the length of the
     * segment that brings it first, so that segment's bytes are left without a mapping (a mapping
     * covers a whole chunk and repeats on each of its segments; shifting a later copy would
     * contradict the copy already received instead).
     */
    private static UnaryOperator<Packet> shiftNthMapping(int nth) {
        java.util.Set<Long> seen = new java.util.HashSet<>();
        return p -> {
            Segment x = p.segment();
            if (x.length() <= 100) {
                return p;
            }
            long dsn = x.header().options().stream().filter(o -> o instanceof MptcpOption.Dss d && d.hasMapping())
                    .mapToLong(o -> ((MptcpOption.Dss) o).dsn()).findFirst().orElse(-1);
            if (dsn == -1 || !seen.add(dsn) || seen.size() != nth) {
                return p;
            }
            TcpHeader h = x.header();
            List<TcpOption> opts = new ArrayList<>();
            boolean shifted = false;
            for (TcpOption o : h.options()) {
                if (o instanceof MptcpOption.Dss d && d.hasMapping()) {
                    o = new MptcpOption.Dss(d.hasDataAck(), d.dataAck64(), d.dataAck(), true, d.dsn64(), d.dsn(),
                            d.ssn() + x.length(), d.dataLevelLength(), d.dataFin(), d.hasChecksum(), d.checksum());
                    shifted = true;
                }
                opts.add(o);
            }
            assertTrue(shifted, "the data segment carries a mapping");
            TcpHeader m = new TcpHeader(h.srcPort(), h.dstPort(), h.seq(), h.ack(), h.flags(), h.window(), 0, 0, opts);
            return p.with(new Segment(m, x.data(), x.offset(), x.length()));
        };
    }
}
