package io.jmptcp.core.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CongestionControlTest {
    static final int MSS = 1000;

    @Test
    void renoSlowStartCongestionAvoidanceAndLoss() {
        Reno r = new Reno(MSS, 10);
        assertEquals(10_000, r.cwnd());
        r.onAck(1000, 10_000, 10_000, true, 0);
        assertEquals(11_000, r.cwnd(), "slow start: + acked bytes");
        r.onAck(5000, 10_000, 10_000, true, 0);
        assertEquals(13_000, r.cwnd(), "RFC 3465: at most 2 SMSS per ACK");
        r.onAck(1000, 10_000, 10_000, false, 0);
        assertEquals(13_000, r.cwnd(), "no growth when not cwnd-limited (RFC 7661)");
        r.onCongestionEvent(12_000, 0);
        assertEquals(6_000, r.ssthresh());
        r.onRecoveryExit(0);
        assertEquals(6_000, r.cwnd());
        // Congestion avoidance: one MSS per window of acknowledged bytes.
        for (int i = 0; i < 6; i++) {
            r.onAck(1000, 10_000, 10_000, true, 0);
        }
        assertEquals(7_000, r.cwnd());
        r.onRto(7_000, 0);
        assertEquals(MSS, r.cwnd());
        assertEquals(3_500, r.ssthresh());
    }

    @Test
    void cubicReturnsToWmaxAfterAboutK() {
        Cubic c = new Cubic(MSS, 10);
        long now = 0;
        long rtt = 100_000;
        // Slow start up to 100 segments, then a loss.
        while (c.cwnd() < 100 * MSS) {
            c.onAck(MSS, rtt, rtt, true, now);
        }
        long wmax = c.cwnd();
        c.onCongestionEvent(wmax, now);
        c.onRecoveryExit(now);
        assertEquals((long) (wmax * 0.7), c.cwnd(), 2 * MSS, "beta = 0.7 (RFC 9438 4.6)");
        double k = Math.cbrt(wmax / (double) MSS * 0.3 / 0.4); // RFC 9438 eq. 2, seconds
        long atHalfK = -1;
        long atK = -1;
        long at2K = -1;
        for (int round = 0; round < 200; round++) {
            long acks = c.cwnd() / MSS;
            for (int i = 0; i < acks; i++) {
                c.onAck(MSS, rtt, rtt, true, now + i * rtt / acks);
            }
            now += rtt;
            double t = now / 1e6;
            if (atHalfK < 0 && t >= k / 2) {
                atHalfK = c.cwnd();
            }
            if (atK < 0 && t >= k) {
                atK = c.cwnd();
            }
            if (at2K < 0 && t >= 2 * k) {
                at2K = c.cwnd();
            }
        }
        assertTrue(atHalfK < wmax, "concave below W_max before K: " + atHalfK);
        assertTrue(Math.abs(atK - wmax) < 0.1 * wmax, "back at W_max after K = " + k + " s: " + atK + " vs " + wmax);
        assertTrue(at2K > 1.1 * wmax, "convex probing beyond W_max later: " + at2K);
    }

    @Test
    void cubicFastConvergenceLowersWmax() {
        Cubic c = new Cubic(MSS, 100);
        c.onCongestionEvent(100 * MSS, 0);
        c.onRecoveryExit(0);
        long first = c.cwnd();
        c.onCongestionEvent(first, 1);
        c.onRecoveryExit(1);
        // Second loss below the previous W_max: W_max = cwnd (1 + beta) / 2 (RFC 9438 4.7).
        assertEquals((long) (first * 0.7), c.cwnd(), MSS);
        c.onRto(c.cwnd(), 2);
        assertEquals(MSS, c.cwnd());
    }

    /** Feeds one round (a window of one-segment ACKs) with the given RTT; returns the new cwnd. */
    static long round(CongestionControl c, long rtt) {
        long acks = c.cwnd() / MSS;
        for (int i = 0; i < acks; i++) {
            c.onAck(MSS, rtt, rtt, true, 0);
        }
        return c.cwnd();
    }

    @Test
    void hystartPlusPlusLeavesSlowStartWhenTheRttRises() {
        for (CongestionControl c : new CongestionControl[]{new Reno(MSS, 10), new Cubic(MSS, 10)}) {
            for (int i = 0; i < 3; i++) {
                round(c, 20_000);
            }
            assertEquals(Long.MAX_VALUE, c.ssthresh(), c.name() + ": a flat RTT keeps slow start");
            long before = c.cwnd();
            long css = round(c, 25_000); // +5 ms > max(4 ms, 20/8 ms): Conservative Slow Start
            assertTrue(css < before * 2, c.name() + " grows slower in CSS: " + before + " -> " + css);
            for (int i = 0; i < HyStartPlusPlus.CSS_ROUNDS; i++) {
                round(c, 25_000);
            }
            assertTrue(c.ssthresh() != Long.MAX_VALUE, c.name() + ": slow start ended without a loss");
        }
    }

    @Test
    void hystartPlusPlusReturnsToSlowStartWhenTheRttIncreaseWasSpurious() {
        Reno r = new Reno(MSS, 10);
        round(r, 20_000);
        round(r, 20_000);
        long a = round(r, 26_000);
        long b = round(r, 20_000); // below the CSS baseline: back to slow start
        assertTrue(b >= 2 * a - MSS, "doubling again: " + a + " -> " + b);
        assertEquals(Long.MAX_VALUE, r.ssthresh());
    }
}
