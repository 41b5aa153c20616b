package io.jmptcp.core.sched;

/**
 * BLEST, blocking estimation (Ferlin, Alay, Mehani, Boreli: "BLEST: Blocking estimation-based
 * MPTCP scheduler for heterogeneous networks", IFIP Networking 2016). Like minRTT it fills the
 * fastest subflow first. When the fastest subflow {@code f} has no room and a slower one {@code s}
 * has, data put on {@code s} holds the connection window for about RTT_s: the DATA_ACK cannot pass
 * it until it arrives. In that time {@code f} could send, its window growing by one segment per
 * RTT_f (section 3 of the paper),
 *
 * <pre>
 *   n = RTT_s / RTT_f,   X = MSS_f * (CWND_f * n + n * (n - 1) / 2)      (CWND_f in segments)
 * </pre>
 *
 * and the paper sends on {@code s} only if {@code lambda * X <= W - MSS_s * (inflight_s + 1)},
 * W being the connection send window; otherwise it waits for {@code f}. Here the check is made
 * for the whole piece {@code b} that {@code s} would get: {@code s} gets at most
 * {@code W - inflight_s - lambda * X} bytes (whole segments), which is the paper's rule when
 * {@code b} is one segment, and waits when that is less than one segment.
 *
 * <p><b>lambda</b>: fixed, 1.0 by default (the paper's initial value; it adapts lambda by steps
 * of 0.1 on observed blocking, which a fixed value simplifies without changing the decision on a
 * steady path). A larger lambda keeps more data off slow subflows.
 *
 * <p>Without RTT samples on both subflows there is no basis for the estimate: {@code s} is used as
 * minRTT would. Reinjected data goes, as with minRTT, to the fastest subflow with room.
 */
public final class BlestScheduler implements Scheduler {
    /** The default lambda. */
    public static final double DEFAULT_LAMBDA = 1.0;
    private final double lambda;

    public BlestScheduler() {
        this(DEFAULT_LAMBDA);
    }

    public BlestScheduler(double lambda) {
        if (!(lambda > 0)) {
            throw new IllegalArgumentException("lambda must be positive: " + lambda);
        }
        this.lambda = lambda;
    }

    public double lambda() {
        return lambda;
    }

    @Override
    public Decision send(SchedConnection c) {
        return Scheduler.minRttUnlessSlower(c, (fast, slow, s, b) -> {
            double x = fastBytesDuring(fast, slow.srttMicros());
            double room = c.sendWindow() - slow.inFlight() - lambda * x;
            if (room >= b) {
                return Decision.on(s, b);
            }
            long fit = (long) Math.max(0, room);
            fit -= fit % slow.mss();
            return fit < slow.mss() ? Decision.WAIT : Decision.on(s, fit);
        });
    }

    /** X of the paper: what {@code fast} can send in {@code micros}, growing one segment per RTT. */
    static double fastBytesDuring(SchedSubflow fast, long micros) {
        double n = (double) micros / fast.srttMicros();
        return fast.cwnd() * n + fast.mss() * n * (n - 1) / 2;
    }

    @Override
    public String name() {
        return "blest";
    }
}
