package io.jmptcp.core.cc;

/**
 * CUBIC (RFC 9438). Windows are kept in segments as doubles inside, bytes outside. C = 0.4,
 * beta = 0.7, fast convergence (section 4.7) and the Reno-friendly region (section 4.3); slow start
 * uses HyStart++ (RFC 9406), as RFC 9438 section 4.10 allows.
 */
public final class Cubic implements CongestionControl {
    public static final CongestionControlFactory FACTORY = Cubic::new;

    private static final double C = 0.4;
    private static final double BETA = 0.7;
    /** RFC 9438 section 4.3: alpha_cubic = 3 (1 - beta) / (1 + beta). */
    private static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    private int mss;
    private double cwnd;        // segments
    private double ssthresh = Double.MAX_VALUE;
    private double wMax;        // segments, before the last reduction
    private double wLastMax;
    private double k;           // seconds
    private long epochStart = -1;
    private double wEst;        // Reno-friendly estimate, segments
    private double cwndAtEpoch;
    private final HyStartPlusPlus hystart = new HyStartPlusPlus();

    public Cubic(int mss, int initialSegments) {
        this.mss = mss;
        this.cwnd = initialSegments;
    }

    @Override
    public long cwnd() {
        return (long) (cwnd * mss);
    }

    @Override
    public long ssthresh() {
        return ssthresh == Double.MAX_VALUE ? Long.MAX_VALUE : (long) (ssthresh * mss);
    }

    @Override
    public void setMss(int mss) {
        this.mss = mss;
    }

    @Override
    public void onAck(long ackedBytes, long rtt, long srtt, boolean cwndLimited, long now) {
        if (!cwndLimited) {
            return;
        }
        double acked = (double) ackedBytes / mss;
        if (cwnd < ssthresh) {
            // Slow start (RFC 9438 4.10 defers to RFC 5681), at most 2 segments per ACK.
            double inc = Math.min(acked, 2);
            switch (hystart.onAck(ackedBytes, rtt, (long) ((cwnd + inc) * mss))) {
                case GROW -> cwnd += inc;
                case GROW_SLOWLY -> cwnd += inc / HyStartPlusPlus.CSS_GROWTH_DIVISOR;
                case EXIT -> ssthresh = cwnd;
            }
            return;
        }
        if (epochStart < 0) {
            // Section 4.2: a new congestion-avoidance epoch.
            epochStart = now;
            cwndAtEpoch = cwnd;
            wEst = cwnd;
            if (wMax <= cwnd) {
                wMax = cwnd;
                k = 0;
            } else {
                k = Math.cbrt((wMax - cwnd) / C);
            }
        }
        double rttSec = (srtt > 0 ? srtt : Math.max(rtt, 1000)) / 1e6;
        double t = (now - epochStart) / 1e6;
        // Section 4.2 eq. 1, evaluated one RTT ahead (section 4.4 target).
        double target = C * Math.pow(t + rttSec - k, 3) + wMax;
        target = Math.max(cwnd, Math.min(target, 1.5 * cwnd));
        // Section 4.3: the Reno-friendly estimate grows by alpha_cubic per window of ACKed segments.
        wEst += ALPHA * acked / cwnd;
        if (wEst > cwnd && wEst > target) {
            cwnd += (wEst - cwnd) * acked / cwnd;
        } else {
            // Sections 4.4 and 4.5: (target - cwnd) / cwnd per ACKed segment.
            cwnd += (target - cwnd) / cwnd * acked;
        }
        if (cwnd < cwndAtEpoch) {
            cwnd = cwndAtEpoch;
        }
    }

    @Override
    public void onCongestionEvent(long inFlight, long now) {
        hystart.onLoss();
        reduce();
    }

    private void reduce() {
        epochStart = -1;
        // Section 4.7: fast convergence.
        if (cwnd < wLastMax) {
            wLastMax = cwnd;
            wMax = cwnd * (1 + BETA) / 2;
        } else {
            wLastMax = cwnd;
            wMax = cwnd;
        }
        // Section 4.6: ssthresh = cwnd * beta, at least 2 segments.
        ssthresh = Math.max(cwnd * BETA, 2);
    }

    @Override
    public void onRecoveryExit(long now) {
        cwnd = ssthresh;
    }

    @Override
    public void onRto(long inFlight, long now) {
        // Section 4.8: as a congestion event, then cwnd = 1 segment (RFC 5681 loss window).
        reduce();
        cwnd = 1;
        hystart.onRto();
    }

    @Override
    public void restore(long cwnd, long ssthresh) {
        this.cwnd = Math.max(1, (double) cwnd / mss);
        this.ssthresh = ssthresh == Long.MAX_VALUE ? Double.MAX_VALUE : (double) ssthresh / mss;
        epochStart = -1; // a new epoch from the restored window (W_max keeps the pre-timeout value)
    }

    @Override
    public String name() {
        return "cubic";
    }
}
