package io.jmptcp.core.cc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * LIA, OLIA and BALIA against values worked by hand (in the comments). MSS is 1000 bytes and RTTs
 * are given in milliseconds for the static formulas, microseconds for the controllers: every
 * formula is free of the time unit (alpha is dimensionless, the increases are per byte).
 */
class CoupledCongestionControlTest {
    static final int MSS = 1000;
    static final double EPS = 1e-9;

    /** A member in congestion avoidance with window {@code cwnd} and smoothed RTT {@code srttMicros}. */
    static CoupledController member(CoupledGroup g, long cwnd, long srttMicros) {
        CoupledController c = (CoupledController) g.create(MSS, 10);
        c.restore(cwnd, 2_000); // ssthresh below the window: congestion avoidance
        c.onAck(0, -1, srttMicros, false, 0); // an RTT for the group, no growth (not cwnd-limited)
        return c;
    }

    /** The increase one ACK of {@code acked} bytes makes on {@code c}. */
    static double grow(CoupledController c, long acked, long srttMicros) {
        double before = c.window();
        c.onAck(acked, -1, srttMicros, true, 0);
        return c.window() - before;
    }

    // ------------------------------------------------------------------------------------- LIA

    @Test
    void liaAlphaWithEqualRtts() {
        // w = 10000, 20000 bytes, both RTTs 100 ms.
        //   max(w/rtt^2) = 20000/100^2 = 2;  sum(w/rtt) = 100 + 200 = 300
        //   alpha = 30000 * 2 / 300^2 = 60000 / 90000 = 2/3   (equal RTTs: w_max / w_total)
        assertEquals(2.0 / 3, Lia.alpha(new double[] {10_000, 20_000}, new double[] {100, 100}), EPS);
        // An ACK of 1000 bytes on subflow 1:
        //   min(2/3 * 1000 * 1000 / 30000, 1000 * 1000 / 10000) = min(22.22.., 100) = 200/9
        Lia g = new Lia();
        CoupledController a = member(g, 10_000, 100_000);
        member(g, 20_000, 100_000);
        assertEquals(2.0 / 3, g.alpha(), EPS);
        assertEquals(200.0 / 9, grow(a, 1000, 100_000), EPS);
    }

    @Test
    void liaAlphaWithUnequalRtts() {
        // w1 = 10000 bytes at 10 ms, w2 = 20000 bytes at 40 ms.
        //   w1/rtt1^2 = 10000/100 = 100;  w2/rtt2^2 = 20000/1600 = 12.5;  max = 100
        //   sum(w/rtt) = 1000 + 500 = 1500;  squared = 2 250 000
        //   alpha = 30000 * 100 / 2 250 000 = 4/3
        assertEquals(4.0 / 3, Lia.alpha(new double[] {10_000, 20_000}, new double[] {10, 40}), EPS);
        // Per 1000 bytes ACKed: coupled term 4/3 * 1000 * 1000 / 30000 = 400/9 = 44.44..
        //   subflow 1: min(44.44, 1e6/10000 = 100) = 400/9
        //   subflow 2: min(44.44, 1e6/20000 = 50)  = 400/9
        Lia g = new Lia();
        CoupledController a = member(g, 10_000, 10_000);
        CoupledController b = member(g, 20_000, 40_000);
        assertEquals(4.0 / 3, g.alpha(), EPS);
        assertEquals(400.0 / 9, grow(a, 1000, 10_000), EPS);
        // a grew by 44.44 bytes; b's increase is computed with the new total 30044.44 and alpha:
        double[] w = {a.window(), 20_000};
        double alpha = Lia.alpha(w, new double[] {10, 40});
        assertEquals(alpha * 1000 * 1000 / (w[0] + w[1]), grow(b, 1000, 40_000), EPS);
    }

    @Test
    void liaIncreaseIsCappedAtRenoOnThePath() {
        // w1 = 10000 at 10 ms, w2 = 40000 at 100 ms.
        //   w/rtt^2 = 100 and 4: max 100;  sum(w/rtt) = 1000 + 400 = 1400;  squared 1 960 000
        //   alpha = 50000 * 100 / 1 960 000 = 125/49 = 2.551..
        // Subflow 2, 1000 bytes ACKed: coupled 125/49 * 1e6 / 50000 = 2500/49 = 51.02..,
        //   Reno's 1e6 / 40000 = 25: the cap wins, 25.
        double alpha = Lia.alpha(new double[] {10_000, 40_000}, new double[] {10, 100});
        assertEquals(125.0 / 49, alpha, EPS);
        assertEquals(25, Lia.increase(alpha, 1000, MSS, 40_000, 50_000), EPS);
        assertEquals(2500.0 / 49, Lia.increase(alpha, 1000, MSS, 10_000, 50_000), EPS, "subflow 1: under its cap of 100");
        Lia g = new Lia();
        member(g, 10_000, 10_000);
        CoupledController b = member(g, 40_000, 100_000);
        assertEquals(25, grow(b, 1000, 100_000), EPS);
    }

    @Test
    void liaAloneIsRenoAndFollowsRegistration() {
        Lia g = new Lia();
        CoupledController a = member(g, 10_000, 20_000);
        assertEquals(1, g.alpha(), EPS);
        assertEquals(100, grow(a, 1000, 20_000), EPS, "one subflow: Reno's MSS*acked/cwnd");
        CoupledController b = member(g, 10_100, 20_000);
        assertEquals(2, g.size());
        assertEquals(0.5, g.alpha(), EPS, "two equal subflows: alpha = w_max / w_total");
        g.unregister(b);
        assertEquals(1, g.size());
        assertEquals(1, g.alpha(), EPS, "an unregistered subflow no longer counts");
        g.release();
        assertEquals(0, g.size());
    }

    @Test
    void coupledSlowStartAndLossAreReno() {
        Lia g = new Lia();
        CoupledController c = (CoupledController) g.create(MSS, 10);
        c.onAck(1000, 10_000, 10_000, true, 0);
        assertEquals(11_000, c.cwnd(), "slow start: + acked bytes");
        c.onAck(5000, 10_000, 10_000, true, 0);
        assertEquals(13_000, c.cwnd(), "RFC 3465: at most 2 SMSS per ACK");
        c.onCongestionEvent(12_000, 0);
        assertEquals(6_000, c.ssthresh());
        assertEquals(6_000, c.window(), "during recovery the others see the window being reduced to");
        c.onRecoveryExit(0);
        assertEquals(6_000, c.cwnd());
        c.onRto(6_000, 0);
        assertEquals(3_000, c.ssthresh());
        assertEquals(MSS, c.cwnd());
        assertEquals("lia", c.name());
    }

    // ------------------------------------------------------------------------------------ OLIA

    @Test
    void oliaBestPathIsAlsoTheMaxWindowPath() {
        // w = 20000, 10000; RTT 10 both; l = 1e6, 1e5. M = {0}; quality l^2/rtt: 1e11 vs 1e9,
        // B = {0}. B \ M is empty: every alpha is 0.
        double[] a = Olia.alphas(new double[] {20_000, 10_000}, new double[] {10, 10}, new double[] {1e6, 1e5});
        assertArrayEquals(new double[] {0, 0}, a, EPS);
    }

    @Test
    void oliaBestPathIsNotTheMaxWindowPath() {
        // w = 20000, 10000; RTT 10 both; l = 1e5, 1e6. M = {0}, B = {1}, B \ M = {1}, n = 2:
        //   alpha_1 = 1 / (2 * 1) = +1/2;  alpha_0 = -1 / (2 * |M| = 1) = -1/2
        double[] w = {20_000, 10_000};
        double[] rtt = {10, 10};
        double[] a = Olia.alphas(w, rtt, new double[] {1e5, 1e6});
        assertArrayEquals(new double[] {-0.5, 0.5}, a, EPS);
        // Increase per 1000 bytes ACKed (MSS 1000), sum(w/rtt) = 2000 + 1000 = 3000, squared 9e6:
        //   r = 1: 1e6 * ((10000/100)/9e6 + 0.5/10000) = 1e6 * (1/90000 + 1/20000) = 1e6 * 11/180000 = 550/9
        //   r = 0: 1e6 * ((20000/100)/9e6 - 0.5/20000) = 1e6 * (1/45000 - 1/40000) = -1e6/360000 = -25/9
        assertEquals(550.0 / 9, Olia.increase(w, rtt, a[1], 1, 1000, MSS), EPS);
        assertEquals(-25.0 / 9, Olia.increase(w, rtt, a[0], 0, 1000, MSS), EPS);
    }

    @Test
    void oliaThreePaths() {
        // w = 30000, 30000, 10000; RTT 10, 20, 10; l = 1e5, 1e5, 1e6.
        //   M = {0, 1} (a tie); quality l/rtt^2 = 1e3, 250, 1e4: B = {2}; n = 3
        //   alpha_2 = 1 / (3 * 1) = 1/3;  alpha_0 = alpha_1 = -1 / (3 * 2) = -1/6
        assertArrayEquals(new double[] {-1.0 / 6, -1.0 / 6, 1.0 / 3},
                Olia.alphas(new double[] {30_000, 30_000, 10_000}, new double[] {10, 20, 10}, new double[] {1e5, 1e5, 1e6}), EPS);
        // w = 30000, 10000, 10000; RTT 10 all; l = 1e5, 1e6, 1e6: M = {0}, B = {1, 2} = B \ M:
        //   alpha_1 = alpha_2 = 1 / (3 * 2) = 1/6;  alpha_0 = -1 / (3 * 1) = -1/3
        assertArrayEquals(new double[] {-1.0 / 3, 1.0 / 6, 1.0 / 6},
                Olia.alphas(new double[] {30_000, 10_000, 10_000}, new double[] {10, 10, 10}, new double[] {1e5, 1e6, 1e6}), EPS);
        // Equal l, the shorter RTT is the better path: quality 1e6/1600 < 1e6/100, B = {1}, M = {0}.
        assertArrayEquals(new double[] {-0.5, 0.5},
                Olia.alphas(new double[] {20_000, 10_000}, new double[] {40, 10}, new double[] {1e6, 1e6}), EPS);
        // The metric is l / rtt^2 (rate ~ sqrt(l) / rtt), not l^2 / rtt: path 1 has three times the
        // bytes between losses but twice the RTT: 3e5/400 = 750 < 1e5/100 = 1000, so path 0 is best.
        // It also has the largest window, so B \ M is empty and every alpha is 0. With l^2/rtt
        // (4.5e9 > 1e9) path 1 would be best and get +1/2.
        assertArrayEquals(new double[] {0, 0},
                Olia.alphas(new double[] {20_000, 10_000}, new double[] {10, 20}, new double[] {1e5, 3e5}), EPS);
    }

    @Test
    void oliaGroupUsesTheBytesBetweenLosses() {
        // The case of oliaBestPathIsNotTheMaxWindowPath, reached through the controllers: path 0
        // had 1e5 bytes between its last two losses, path 1 had 1e6.
        Olia g = new Olia();
        CoupledController p0 = member(g, 20_000, 10_000);
        CoupledController p1 = member(g, 10_000, 10_000);
        p0.onCongestionEvent(20_000, 0);
        p1.onCongestionEvent(20_000, 0);
        p0.onAck(100_000, -1, 10_000, false, 0);
        p1.onAck(1_000_000, -1, 10_000, false, 0);
        p0.onCongestionEvent(40_000, 0);
        p1.onCongestionEvent(20_000, 0);
        assertEquals(100_000, p0.bytesBetweenLosses());
        assertEquals(1_000_000, p1.bytesBetweenLosses());
        p0.restore(20_000, 2_000);
        p1.restore(10_000, 2_000);
        assertEquals(550.0 / 9, grow(p1, 1000, 10_000), EPS);
        // p1 now has 1000 bytes since its loss (l = max(1000, 1e6) = 1e6 still) and w = 10061.1.
        double[] w = {20_000, p1.window()};
        double[] a = Olia.alphas(w, new double[] {10, 10}, new double[] {1e5, 1e6});
        assertEquals(Olia.increase(w, new double[] {10, 10}, a[0], 0, 1000, MSS), grow(p0, 1000, 10_000), EPS);
        assertTrue(p0.window() < 20_000, "the max-window path that is not best gives way");
    }

    // ----------------------------------------------------------------------------------- BALIA

    @Test
    void baliaAlphaIsNotTruncated() {
        // w = 25000, 10000; RTT 10 both: x = 2500, 1000; alpha_1 = 2500/1000 = 2.5 (not 2), alpha_0 = 1.
        double[] w = {25_000, 10_000};
        double[] rtt = {10, 10};
        assertEquals(2.5, Balia.alpha(w, rtt, 1), 0);
        assertEquals(1.0, Balia.alpha(w, rtt, 0), 0);
        // Increase on path 1 per 1000 bytes ACKed: x_1 / (rtt_1 * X^2) = 1000 / (10 * 3500^2) = 1/122500;
        //   * (1 + 2.5)/2 = 1.75 * (4 + 2.5)/5 = 1.3 -> 2.275 / 122500; * 1e6 = 2275000/122500 = 130/7 = 18.571..
        //   (with alpha truncated to 2: 1.5 * 1.2 = 1.8 -> 14.69; to 1: 8.16)
        assertEquals(130.0 / 7, Balia.increase(w, rtt, 1, 1000, MSS), EPS);
        Balia g = new Balia();
        member(g, 25_000, 10_000);
        CoupledController b = member(g, 10_000, 10_000);
        assertEquals(130.0 / 7, grow(b, 1000, 10_000), EPS);
    }

    @Test
    void baliaDecreaseCapsAlphaAtOneAndAHalf() {
        // w - (w/2) * min(alpha, 1.5): w = 10000, alpha = 2.5 -> 10000 - 5000 * 1.5 = 2500
        //   (uncapped it would be 10000 - 12500 < 0); alpha = 1.2 -> 10000 - 6000 = 4000; alpha 1 -> halving.
        assertEquals(2_500, Balia.decrease(10_000, 2.5), EPS);
        assertEquals(4_000, Balia.decrease(10_000, 1.2), EPS);
        assertEquals(5_000, Balia.decrease(10_000, 1.0), EPS);
        Balia g = new Balia();
        CoupledController a = member(g, 25_000, 10_000);
        CoupledController b = member(g, 10_000, 10_000);
        b.onCongestionEvent(10_000, 0);
        assertEquals(2_500, b.ssthresh(), "alpha 2.5 capped at 1.5, not the 2-segment floor");
        a.onCongestionEvent(25_000, 0);
        // b is in recovery towards 2500, so x_b = 250 and alpha_a = 1: the fast path halves.
        assertEquals(12_500, a.ssthresh());
    }

    // ------------------------------------------------------------------------------------ groups

    @Test
    void groupsByName() {
        for (String n : CongestionControlGroup.NAMES) {
            CongestionControlGroup g = CongestionControlGroup.forConnection(n);
            assertEquals(n, g.name());
            assertEquals(n, g.create(MSS, 10).name());
            assertEquals(1, g.size());
            assertEquals(!n.equals("cubic") && !n.equals("reno"), g.coupled());
        }
        assertInstanceOf(Cubic.class, CongestionControlGroup.forConnection("cubic").create(MSS, 10));
        assertFalse(CongestionControlGroup.forConnection("reno").coupled());
        assertNotEquals(CongestionControlGroup.forConnection("lia"), CongestionControlGroup.forConnection("lia"),
                "a new group per connection");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CongestionControlGroup.forConnection("vegas"));
        assertTrue(e.getMessage().contains("'vegas' is not available"), e.getMessage());
    }
}
