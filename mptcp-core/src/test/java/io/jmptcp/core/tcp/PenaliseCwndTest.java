package io.jmptcp.core.tcp;

import static io.jmptcp.core.tcp.Script.ISS;
import static io.jmptcp.core.tcp.Script.PEER_ISS;
import static io.jmptcp.core.tcp.Script.data;
import static io.jmptcp.core.tcp.Script.plainConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.wire.TcpHeader;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** {@link TcpConnection#penaliseCwnd}: the MPTCP penalty of Raiciu et al. (NSDI 2012). */
class PenaliseCwndTest {
    static final int A = ISS + 1;
    static final int P = PEER_ISS + 1;

    @Test
    void halvesTheWindowAtMostOncePerRttAndNeverBelowTwoSegments() {
        Script s = Script.established(plainConfig()); // SRTT 10 ms from the handshake
        int mss = s.conn.effectiveMss();
        long w = s.conn.cwnd();
        assertEquals(10L * mss, w, "the initial window (RFC 6928)");
        s.conn.congestionControl().restore(w, w); // congestion avoidance
        assertTrue(s.conn.penaliseCwnd(20_000));
        assertEquals(w / 2, s.conn.cwnd());
        assertEquals(w / 2, s.conn.congestionControl().ssthresh(), "ssthresh follows: no slow start straight back");
        assertFalse(s.conn.penaliseCwnd(29_999), "a second penalty within one RTT");
        assertEquals(w / 2, s.conn.cwnd());
        assertTrue(s.conn.penaliseCwnd(30_000));
        assertEquals(w / 4, s.conn.cwnd());
        assertTrue(s.conn.penaliseCwnd(40_000));
        assertEquals(2L * mss, s.conn.cwnd(), "floored at two segments");
        assertFalse(s.conn.penaliseCwnd(50_000), "already at the floor");
        // The smaller window is what the sender uses: two segments go out of 20 queued.
        s.expectNothingUntil(50_000);
        s.conn.send(ByteBuffer.wrap(new byte[20 * mss]));
        s.expect(50_000, full(A, mss), full(A + mss, mss));
        s.expectNothingUntil(59_000);
    }

    @Test
    void inSlowStartKeepsSsthreshSoTheSubflowGoesOnGrowing() {
        Script s = Script.established(plainConfig());
        long w = s.conn.cwnd();
        assertEquals(Long.MAX_VALUE, s.conn.congestionControl().ssthresh(), "slow start: no loss yet");
        assertTrue(s.conn.penaliseCwnd(20_000));
        assertEquals(w / 2, s.conn.cwnd());
        assertEquals(Long.MAX_VALUE, s.conn.congestionControl().ssthresh(), "still in slow start");
        s.conn.congestionControl().restore(8 * w, 4 * w); // slow start with an ssthresh from an earlier loss
        assertTrue(s.conn.penaliseCwnd(40_000));
        assertEquals(4 * w, s.conn.cwnd());
        assertEquals(4 * w, s.conn.congestionControl().ssthresh(), "kept, not halved");
    }

    static Script.Exp full(int seq, int mss) {
        return new Script.Exp(TcpHeader.ACK, seq, P, mss, null, "");
    }

    @Test
    void doesNothingDuringLossRecovery() {
        Script s = Script.established(plainConfig());
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.expect(10_000, data(A, P, 100));
        s.expect(220_000, data(A, P, 100)); // the retransmission timeout: in loss recovery
        long w = s.conn.cwnd();
        assertFalse(s.conn.penaliseCwnd(230_000));
        assertEquals(w, s.conn.cwnd());
    }

    @Test
    void needsAnEstablishedConnection() {
        Script s = Script.client(plainConfig());
        assertFalse(s.conn.penaliseCwnd(0));
    }
}
