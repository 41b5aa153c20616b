package io.jmptcp.core.cc;

import java.util.List;

/**
 * Opportunistic Linked Increases (Khalili, Gast, Popovic, Le Boudec, "MPTCP is not
 * Pareto-optimal", IEEE/ACM ToN 2013; draft-khalili-mptcp-congestion-control), one group per MPTCP
 * connection. For each ACK of {@code bytes_acked} on path r in congestion avoidance, windows w in
 * bytes:
 *
 * <pre>
 *   w_r += bytes_acked * MSS_r * ( (w_r / rtt_r^2) / (sum_p w_p / rtt_p)^2  +  alpha_r / w_r )
 * </pre>
 *
 * (the paper's per-packet increase in packets, scaled to bytes as RFC 6356 scales LIA's). With
 * n the number of paths, M the paths with the largest window and B the best paths, those with the
 * largest {@code l_r / rtt_r^2}, where l_r = max(bytes since the last loss, bytes between the last
 * two losses):
 *
 * <pre>
 *   alpha_r =  1 / (n * |B \ M|)   for r in B \ M
 *   alpha_r = -1 / (n * |M|)       for r in M, if B \ M is not empty
 *   alpha_r =  0                   otherwise
 * </pre>
 *
 * The window never drops below one segment. Slow start, recovery and the halving are Reno's.
 */
public final class Olia extends CoupledGroup {
    @Override
    public String name() {
        return "olia";
    }

    /**
     * The alphas for windows {@code w}, RTTs {@code rtt} and inter-loss byte counts {@code l}.
     * Ties count: every path at the maximum is in M (or B).
     */
    public static double[] alphas(double[] w, double[] rtt, double[] l) {
        int n = w.length;
        double wMax = Double.NEGATIVE_INFINITY;
        double qMax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            wMax = Math.max(wMax, w[i]);
            qMax = Math.max(qMax, quality(l[i], rtt[i]));
        }
        boolean[] inM = new boolean[n];
        boolean[] inBnotM = new boolean[n];
        int m = 0;
        int bNotM = 0;
        for (int i = 0; i < n; i++) {
            inM[i] = w[i] == wMax;
            m += inM[i] ? 1 : 0;
            inBnotM[i] = !inM[i] && quality(l[i], rtt[i]) == qMax;
            bNotM += inBnotM[i] ? 1 : 0;
        }
        double[] a = new double[n];
        if (bNotM == 0) {
            return a;
        }
        for (int i = 0; i < n; i++) {
            if (inBnotM[i]) {
                a[i] = 1.0 / ((double) n * bNotM);
            } else if (inM[i]) {
                a[i] = -1.0 / ((double) n * m);
            }
        }
        return a;
    }

    /**
     * The best-path metric l_r / rtt_r^2: with l_r about 1/p, a TCP flow's rate goes as
     * sqrt(l_r) / rtt_r, so the path a TCP flow would do best on maximises l_r / rtt_r^2 (Khalili et al.).
     */
    static double quality(double l, double rtt) {
        return l / (rtt * rtt);
    }

    /** The per-ACK increase in bytes for path {@code r}. */
    public static double increase(double[] w, double[] rtt, double alphaR, int r, long acked, int mss) {
        double rate = 0;
        for (int i = 0; i < w.length; i++) {
            rate += w[i] / rtt[i];
        }
        double coupled = (w[r] / (rtt[r] * rtt[r])) / (rate * rate);
        return (double) acked * mss * (coupled + alphaR / w[r]);
    }

    @Override
    double increase(CoupledController c, long ackedBytes) {
        List<CoupledController> ms = measured();
        int n = ms.size();
        double[] w = new double[n];
        double[] r = new double[n];
        double[] l = new double[n];
        int self = -1;
        for (int i = 0; i < n; i++) {
            CoupledController m = ms.get(i);
            w[i] = m.window();
            r[i] = m.rtt();
            l[i] = Math.max(m.bytesSinceLoss(), m.bytesBetweenLosses());
            if (m == c) {
                self = i;
            }
        }
        return increase(w, r, alphas(w, r, l)[self], self, ackedBytes, c.mss());
    }
}
