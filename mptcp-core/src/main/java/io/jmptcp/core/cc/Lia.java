package io.jmptcp.core.cc;

import java.util.List;

/**
 * Linked Increases (RFC 6356 section 3), one group per MPTCP connection. For an ACK of
 * {@code bytes_acked} on subflow i in congestion avoidance:
 *
 * <pre>
 *   alpha = cwnd_total * max_i(cwnd_i / rtt_i^2) / (sum_i cwnd_i / rtt_i)^2
 *   cwnd_i += min(alpha * bytes_acked * MSS_i / cwnd_total, bytes_acked * MSS_i / cwnd_i)
 * </pre>
 *
 * The second term caps the subflow at what Reno would do on that path (goal 1 of section 2).
 * Slow start, fast recovery and the halving on loss are Reno's. Doubles throughout, so alpha is not
 * truncated as the RFC's suggested fixed point would be.
 */
public final class Lia extends CoupledGroup {
    @Override
    public String name() {
        return "lia";
    }

    /**
     * RFC 6356 alpha for windows {@code w} (bytes) and RTTs {@code rtt} (any one unit; alpha is
     * dimensionless): {@code sum(w) * max(w/rtt^2) / (sum(w/rtt))^2}.
     */
    public static double alpha(double[] w, double[] rtt) {
        double total = 0;
        double best = 0;
        double rate = 0;
        for (int i = 0; i < w.length; i++) {
            total += w[i];
            best = Math.max(best, w[i] / (rtt[i] * rtt[i]));
            rate += w[i] / rtt[i];
        }
        return total * best / (rate * rate);
    }

    /** RFC 6356 increase in bytes: {@code min(alpha*acked*mss/total, acked*mss/w)}. */
    public static double increase(double alpha, long acked, int mss, double w, double total) {
        return Math.min(alpha * acked * mss / total, (double) acked * mss / w);
    }

    /** alpha over this group's measured members. */
    double alpha() {
        List<CoupledController> m = measured();
        double[] w = new double[m.size()];
        double[] r = new double[m.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = m.get(i).window();
            r[i] = m.get(i).rtt();
        }
        return alpha(w, r);
    }

    @Override
    double increase(CoupledController c, long ackedBytes) {
        double total = 0;
        for (CoupledController m : members()) {
            total += m.window();
        }
        return increase(alpha(), ackedBytes, c.mss(), c.window(), total);
    }
}
