package io.jmptcp.core.cc;

import java.util.List;

/**
 * Balanced Linked Adaptation (Peng, Walid, Hwang, Low, "Multipath TCP: Analysis, Design and
 * Implementation", IEEE/ACM ToN 2016), one group per MPTCP connection. With x_k = w_k / rtt_k and
 * alpha_r = max_k x_k / x_r (a real number: not truncated to an integer), windows in bytes:
 *
 * <pre>
 *   per ACK of bytes_acked on r:  w_r += bytes_acked * MSS_r * x_r / (rtt_r * (sum_k x_k)^2)
 *                                                     * ((1 + alpha_r) / 2) * ((4 + alpha_r) / 5)
 *   on loss on r:                 w_r -> w_r - (w_r / 2) * min(alpha_r, 1.5)
 * </pre>
 *
 * where the w_r of the decrease is FlightSize, as Reno's halving uses (RFC 5681 (4)), and the
 * result is at least 2 segments. Slow start and recovery are Reno's.
 */
public final class Balia extends CoupledGroup {
    @Override
    public String name() {
        return "balia";
    }

    /** alpha_r = max_k x_k / x_r for path {@code r}. */
    public static double alpha(double[] w, double[] rtt, int r) {
        double xMax = 0;
        for (int i = 0; i < w.length; i++) {
            xMax = Math.max(xMax, w[i] / rtt[i]);
        }
        return xMax / (w[r] / rtt[r]);
    }

    /** The per-ACK increase in bytes for path {@code r}. */
    public static double increase(double[] w, double[] rtt, int r, long acked, int mss) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            sum += w[i] / rtt[i];
        }
        double a = alpha(w, rtt, r);
        double xr = w[r] / rtt[r];
        return (double) acked * mss * xr / (rtt[r] * sum * sum) * ((1 + a) / 2) * ((4 + a) / 5);
    }

    /** The window after a loss: {@code w - (w/2) * min(alpha, 1.5)}. */
    public static double decrease(double w, double alpha) {
        return w - w / 2 * Math.min(alpha, 1.5);
    }

    private double[][] snapshot(CoupledController c, int[] self) {
        List<CoupledController> ms = measured();
        double[] w = new double[ms.size()];
        double[] r = new double[ms.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = ms.get(i).window();
            r[i] = ms.get(i).rtt();
            if (ms.get(i) == c) {
                self[0] = i;
            }
        }
        return new double[][] {w, r};
    }

    @Override
    double increase(CoupledController c, long ackedBytes) {
        int[] self = {-1};
        double[][] s = snapshot(c, self);
        return increase(s[0], s[1], self[0], ackedBytes, c.mss());
    }

    @Override
    long ssthreshAfterLoss(CoupledController c, long flight) {
        int[] self = {-1};
        double[][] s = snapshot(c, self);
        double a = self[0] < 0 ? 1 : alpha(s[0], s[1], self[0]);
        return Math.max((long) decrease(flight, a), 2L * c.mss());
    }
}
