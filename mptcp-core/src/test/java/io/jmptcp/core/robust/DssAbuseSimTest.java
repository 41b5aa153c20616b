package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.sched.Decision;
import io.jmptcp.core.sched.SchedConnection;
import io.jmptcp.core.sched.Scheduler;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.Checksum;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * DSS abuse (RFC 8684 section 3.3) on the simulator: a middlebox on path 1 rewrites the mappings of
 * the client's real data segments (as an on-path attacker or a broken peer would), and the server
 * must handle each as the RFC and Linux do, count it, and never hand the application a byte the
 * client did not write at that position ({@link PatternApp} checks every byte). The server's
 * receive buffer is small (64 KiB) so that the connection-level window matters.
 */
class DssAbuseSimTest {
    static final long BYTES = HostileInputSimTest.BYTES;
    static final int RCVBUF = 64 * 1024;

    /** A transfer under way on two subflows, both apps holding their connections open. */
    static HostileNet started(long seed, boolean checksum) {
        MptcpConfig c = new MptcpConfig().checksum(checksum).receiveBuffer(RCVBUF);
        MptcpConfig s = new MptcpConfig().checksum(checksum).receiveBuffer(RCVBUF);
        return LimitsSimTest.running(seed, c, s);
    }

    /**
     * minrtt with every decision cut to one segment, so every mapping is one segment and the
     * fastest subflow carries runs of them back to back (what a test that joins two mappings needs;
     * with whole chunks, which mappings are single segments depends on the windows' timing).
     */
    static final class OneSegmentScheduler implements Scheduler {
        private final Scheduler inner = Scheduler.byName("minrtt");

        @Override
        public Decision send(SchedConnection c) {
            Decision d = inner.send(c);
            if (d.isWait()) {
                return d;
            }
            return new Decision(d.subflows(), Math.min(d.bytes(), c.subflows().get(d.first()).mss()));
        }

        @Override
        public String name() {
            return "one-segment";
        }
    }

    static Link clientToServer(HostileNet n, int path) {
        return n.net.paths.get(path).up;
    }

    /** The data mapping of a segment when it is one mapping for exactly this segment's payload, else null. */
    static Dss mappingOf(Packet p) {
        Segment s = p.segment();
        Dss d = InboundFuzzTest.dssOf(s.header());
        if (d == null || !d.hasMapping() || !d.dsn64() || d.dataFin() || s.length() == 0
                || d.dataLevelLength() != s.length()) {
            return null;
        }
        return d;
    }

    /**
     * The data mapping of a segment that carries new subflow data (past every byte this link
     * carried before), else null. A subflow-level retransmission of bytes the server may already
     * have is dropped by TCP as a duplicate before its DSS is read, so it is no use to a test that
     * rewrites mappings. {@code highest} holds the end of the highest sequence seen (0: none yet).
     */
    static Dss newMappingOf(Packet p, long[] highest) {
        Segment s = p.segment();
        long seq = s.header().seq() & 0xFFFFFFFFL;
        boolean fresh = highest[0] == 0 || (int) (seq - highest[0]) >= 0;
        if (s.length() > 0 && (highest[0] == 0 || (int) (seq + s.length() - highest[0]) > 0)) {
            highest[0] = (seq + s.length()) & 0xFFFFFFFFL;
        }
        return fresh ? mappingOf(p) : null;
    }

    /** The packet with its DSS replaced by {@code d} (null: no DSS) and its payload by {@code data}. */
    static Packet rewrite(Packet p, Dss d, byte[] data) {
        TcpHeader h = p.segment().header();
        List<TcpOption> opts = new ArrayList<>();
        for (TcpOption o : h.options()) {
            if (!(o instanceof Dss)) {
                opts.add(o);
            }
        }
        if (d != null) {
            opts.add(d);
        }
        TcpHeader nh = new TcpHeader(h.srcPort(), h.dstPort(), h.seq(), h.ack(), h.flags(), h.window(), 0,
                h.urgentPointer(), opts);
        return p.with(new Segment(nh, data, 0, data.length));
    }

    static byte[] payload(Packet p) {
        Segment s = p.segment();
        byte[] b = new byte[s.length()];
        System.arraycopy(s.data(), s.offset(), b, 0, s.length());
        return b;
    }

    static Dss withMapping(Dss d, long dsn, int ssn, int dll, boolean fin, int checksum) {
        return new Dss(d.hasDataAck(), d.dataAck64(), d.dataAck(), true, true, dsn, ssn, dll, fin, d.hasChecksum(),
                checksum);
    }

    static int checksum(long dsn, int ssn, int dll, byte[] data) {
        return Checksum.dss(dsn, ssn, dll, ByteBuffer.wrap(data), 0, data.length);
    }

    static long field(Object o, String name) {
        Matcher m = Pattern.compile(" " + name + "=(\\d+)").matcher(o.toString());
        assertTrue(m.find(), () -> name + " in " + o);
        return Long.parseUnsignedLong(m.group(1));
    }

    static void finish(HostileNet n) {
        HostileInputSimTest.finishIntact(n, 60_000_000);
        assertEquals(0, n.counter(true, io.jmptcp.core.mib.StackMib.CONNECTION_ERRORS));
    }

    /**
     * Mappings to DSNs outside the connection-level receive window, on real data: far beyond it, and
     * just past its right edge (data the client has not sent yet). Linux drops data beyond the
     * right edge it advertised (NoDSSInWindow); so does jmptcp, and the client's connection-level
     * retransmission (timer or opportunistic) fills the hole its subflow acknowledged.
     */
    @Test
    void mappingsOutsideTheReceiveWindowAreDroppedAndTheDataRecovered() {
        HostileNet n = started(11, false);
        int[] done = {0};
        clientToServer(n, 0).filter = p -> {
            Dss d = mappingOf(p);
            if (d == null || done[0] >= 6) {
                return p;
            }
            // When this arrives the server's DATA_ACK is at most what the client has sent now
            // (later packets arrive later), and its right edge at most one buffer beyond: just
            // past that lies outside the window, yet holds DSNs the client sends later.
            long outside = field(n.clientConn, "dataNxt") + RCVBUF + 1 + done[0] * 2000L;
            long dsn = done[0] % 2 == 0 ? d.dsn() + (1L << 40) : outside;
            done[0]++;
            return rewrite(p, withMapping(d, dsn, d.ssn(), d.dataLevelLength(), false, 0), payload(p));
        };
        assertTrue(n.run(() -> done[0] == 6, 5_000_000), n::describe);
        clientToServer(n, 0).filter = null;
        finish(n);
        Mib m = n.net.server.mib();
        assertTrue(m.get(MptcpMib.NoDSSInWindow) >= 6, m::toString);
        // The hole is filled at the connection level: by the retransmission timer, or sooner by an
        // opportunistic retransmission on the other subflow when the hole blocks the window.
        Mib c = n.net.client.mib();
        assertTrue(c.get(MptcpMib.MPTCPRetrans) + c.get(MptcpMib.OpportunisticRetrans) >= 1, c::toString);
    }

    /**
     * Overlapping mappings that disagree (RFC 8684 section 3.3.1; Linux: DSSNotMatching, the
     * mapping is invalid): a mapping stretched over the next segment of its subflow, whose own
     * mapping gives those bytes other DSNs. The bytes of the first mapping that really are its own
     * are delivered; the subflow is reset (MP_TCPRST) rather than guess which mapping is right, and
     * its data is sent again on the other subflow.
     */
    @Test
    void overlappingMappingsThatDisagreeResetTheSubflow() {
        HostileNet n = started(12, false);
        Packet[] held = {null};
        boolean[] done = {false};
        long[] highest = {0};
        clientToServer(n, 0).filter = p -> {
            Dss d = newMappingOf(p, highest);
            if (d == null || done[0]) {
                return p;
            }
            if (held[0] == null) {
                held[0] = p; // the first segment waits for the second to be seen
                return null;
            }
            Packet first = held[0];
            Dss a = mappingOf(first);
            // The pair must be adjacent on the subflow (a subflow-level retransmission of an earlier
            // segment is not) and its DSNs not: then the stretched mapping claims exactly the
            // bytes that the second segment's own mapping gives other DSNs.
            if (a.ssn() + a.dataLevelLength() != d.ssn() || a.dsn() + a.dataLevelLength() == d.dsn()) {
                n.net.sim.after(0, () -> n.inject(first.bytes(), true));
                held[0] = null;
                return p;
            }
            done[0] = true;
            // the first mapping claims the second segment's bytes too, as the DSNs after its own
            Dss stretched = withMapping(a, a.dsn(), a.ssn(), a.dataLevelLength() + p.segment().length(), false, 0);
            n.net.sim.after(0, () -> n.inject(rewrite(first, stretched, payload(first)).bytes(), true));
            n.net.sim.after(2_000, () -> n.inject(p.bytes(), true));
            return null;
        };
        assertTrue(n.run(() -> done[0], 5_000_000), n::describe);
        clientToServer(n, 0).filter = null;
        finish(n);
        Mib m = n.net.server.mib();
        assertTrue(m.get(MptcpMib.DSSNotMatching) >= 1, m::toString);
        assertTrue(m.get(MptcpMib.MPRstTx) >= 1, m::toString);
    }

    /**
     * Data that overlaps data already received, under another mapping with a valid checksum (a
     * peer that sends different bytes for DSNs it already sent): the first copy is kept, as Linux
     * keeps it, and the overlap is counted as DuplicateData.
     */
    @Test
    void overlappingDataKeepsTheFirstCopy() {
        HostileNet n = started(13, true);
        boolean[] done = {false};
        long[] dup = {0};
        clientToServer(n, 0).filter = p -> {
            Dss d = mappingOf(p);
            if (d == null || done[0]) {
                return p;
            }
            long behind = field(n.clientConn, "dataUna") - d.dataLevelLength() - 10_000; // the server has these
            if (behind <= 0) {
                return p;
            }
            done[0] = true;
            dup[0] = n.net.server.mib().get(MptcpMib.DuplicateData);
            byte[] data = payload(p);
            return rewrite(p, withMapping(d, behind, d.ssn(), d.dataLevelLength(), false,
                    checksum(behind, d.ssn(), d.dataLevelLength(), data)), data);
        };
        assertTrue(n.run(() -> done[0], 5_000_000), n::describe);
        clientToServer(n, 0).filter = null;
        finish(n);
        Mib m = n.net.server.mib();
        assertTrue(m.get(MptcpMib.DuplicateData) - dup[0] >= 1, m::toString);
        assertEquals(0, m.get(MptcpMib.DataCsumErr), m::toString);
    }

    /**
     * A mapping longer than its segment (legal: RFC 8684 section 3.3.1, a mapping may span
     * segments). With DSS checksums its bytes are delivered only once the whole mapping is in and
     * verifies; a bogus one (longer than the data that really follows under that DSN, so the
     * checksum fails) delivers nothing and resets the subflow.
     */
    @Test
    void aMappingSpanningSegmentsIsDeliveredOnlyWhenCompleteAndABogusOneNotAtAll() {
        for (boolean bogus : new boolean[] {false, true}) {
            MptcpConfig c = new MptcpConfig().checksum(true).receiveBuffer(RCVBUF).scheduler(OneSegmentScheduler::new);
            HostileNet n = LimitsSimTest.running(bogus ? 15 : 14, c, new MptcpConfig().checksum(true).receiveBuffer(RCVBUF));
            Packet[] held = {null};
            long[] before = {0, 0}; // the server's DATA_ACK (unsigned) before and after the second half
            long[] span = {0, 0};
            boolean[] secondHalfIn = {false};
            boolean[] done = {false};
            long[] highest = {0};
            clientToServer(n, 0).filter = p -> {
                Dss d = newMappingOf(p, highest);
                if (d == null || done[0]) {
                    return p;
                }
                if (held[0] == null) {
                    held[0] = p;
                    return null;
                }
                Packet first = held[0];
                Dss a = mappingOf(first);
                held[0] = null;
                if (a.dsn() + a.dataLevelLength() != d.dsn() || a.ssn() + a.dataLevelLength() != d.ssn()) {
                    n.net.sim.after(0, () -> n.inject(first.bytes(), true));
                    return p;
                }
                done[0] = true;
                span[0] = a.dsn();
                span[1] = a.dsn() + a.dataLevelLength() + d.dataLevelLength();
                byte[] x = payload(first);
                byte[] y = payload(p);
                byte[] both = new byte[x.length + y.length];
                System.arraycopy(x, 0, both, 0, x.length);
                System.arraycopy(y, 0, both, x.length, y.length);
                int dll = both.length;
                int sum = checksum(a.dsn(), a.ssn(), dll, both);
                if (bogus) {
                    sum = checksum(a.dsn() + 1, a.ssn(), dll, both); // a mapping of other DSNs
                }
                Packet one = rewrite(first, withMapping(a, a.dsn(), a.ssn(), dll, false, sum), x);
                Packet two = rewrite(p, Dss.ackOnly(d.dataAck()), y); // no mapping: the first covers it
                // nothing else reaches the server meanwhile: path 2 is cut for a moment
                clientToServer(n, 1).setUp(false);
                n.net.sim.after(0, () -> n.inject(one.bytes(), true));
                n.net.sim.after(30_000, () -> {
                    // the connection's DATA_ACK (monotonic) has not reached into the mapping: none
                    // of its bytes was delivered in the 30 ms it was incomplete. Bytes before it
                    // may be (a subflow-level retransmission filling an older hole).
                    before[1] = field(n.serverConn(), "ack");
                    n.inject(two.bytes(), true);
                    before[0] = field(n.serverConn(), "ack"); // the second half processed at once
                    secondHalfIn[0] = true;
                    clientToServer(n, 1).setUp(true);
                });
                return null;
            };
            assertTrue(n.run(() -> secondHalfIn[0], 5_000_000), n::describe);
            assertTrue(Long.compareUnsigned(before[1], span[0]) <= 0, () -> "nothing delivered while the mapping was incomplete: ack "
                    + Long.toUnsignedString(before[1]) + " mapping at " + Long.toUnsignedString(span[0]));
            clientToServer(n, 0).filter = null;
            Mib m = n.net.server.mib();
            if (bogus) {
                assertTrue(Long.compareUnsigned(before[0], span[0]) <= 0, () -> "a mapping that fails its checksum delivers nothing: ack "
                        + Long.toUnsignedString(before[0]) + " mapping at " + Long.toUnsignedString(span[0]));
                assertTrue(m.get(MptcpMib.DataCsumErr) >= 1, m::toString);
                assertTrue(m.get(MptcpMib.MPRstTx) >= 1, m::toString);
            } else {
                // once its second half is in, the mapping is delivered (when nothing before it is
                // still missing at the connection level: wait for that)
                assertTrue(n.run(() -> Long.compareUnsigned(field(n.serverConn(), "ack"), span[1]) >= 0, n.now() + 1_000_000),
                        n::describe);
                assertEquals(0, m.get(MptcpMib.DataCsumErr), m::toString);
            }
            finish(n);
        }
    }

    /**
     * A DATA_FIN set inside a data mapping in the middle of the stream (where the client goes on
     * sending). With DSS checksums the flag is covered by the checksum: the mapping fails, the
     * DATA_FIN is not taken, the stream is not cut short; the subflow is reset and its data sent
     * again on the other one.
     */
    @Test
    void aForgedDataFinInAMappingDoesNotEndTheStream() {
        HostileNet n = started(16, true);
        boolean[] done = {false};
        clientToServer(n, 0).filter = p -> {
            Dss d = mappingOf(p);
            if (d == null || done[0]) {
                return p;
            }
            done[0] = true;
            return rewrite(p, withMapping(d, d.dsn(), d.ssn(), d.dataLevelLength() + 1, true, d.checksum()), payload(p));
        };
        assertTrue(n.run(() -> done[0], 5_000_000), n::describe);
        clientToServer(n, 0).filter = null;
        finish(n);
        Mib m = n.net.server.mib();
        assertTrue(m.get(MptcpMib.DataCsumErr) >= 1, m::toString);
    }
}
