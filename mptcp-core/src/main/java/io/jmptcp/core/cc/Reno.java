package io.jmptcp.core.cc;

/**
 * Reno congestion avoidance (RFC 5681 section 3.1) with appropriate byte counting in slow start
 * (RFC 3465, L = 2 segments) and HyStart++ (RFC 9406) to leave slow start before the queue overflows.
 */
public final class Reno implements CongestionControl {
    public static final CongestionControlFactory FACTORY = Reno::new;

    private int mss;
    private long cwnd;
    private long ssthresh = Long.MAX_VALUE;
    private long caAcked;
    private final HyStartPlusPlus hystart = new HyStartPlusPlus();

    public Reno(int mss, int initialSegments) {
        this.mss = mss;
        this.cwnd = (long) mss * initialSegments;
    }

    @Override
    public long cwnd() {
        return cwnd;
    }

    @Override
    public long ssthresh() {
        return ssthresh;
    }

    @Override
    public void setMss(int mss) {
        long segs = Math.max(1, cwnd / this.mss);
        this.mss = mss;
        cwnd = segs * mss;
    }

    @Override
    public void onAck(long ackedBytes, long rtt, long srtt, boolean cwndLimited, long now) {
        if (!cwndLimited) {
            return;
        }
        if (cwnd < ssthresh) {
            // RFC 5681 (2) with RFC 3465: increase by the bytes acked, at most 2*SMSS per ACK.
            long inc = Math.min(ackedBytes, 2L * mss);
            switch (hystart.onAck(ackedBytes, rtt, cwnd + inc)) { // the window once this ACK is counted
                case GROW -> cwnd += inc;
                case GROW_SLOWLY -> cwnd += inc / HyStartPlusPlus.CSS_GROWTH_DIVISOR;
                case EXIT -> ssthresh = cwnd;
            }
            return;
        }
        // RFC 5681 (3): about one SMSS per RTT, counted in bytes (RFC 3465 section 2.1).
        caAcked += ackedBytes;
        if (caAcked >= cwnd) {
            caAcked -= cwnd;
            cwnd += mss;
        }
    }

    @Override
    public void onCongestionEvent(long inFlight, long now) {
        // RFC 5681 (4): ssthresh = max(FlightSize / 2, 2*SMSS).
        ssthresh = Math.max(inFlight / 2, 2L * mss);
        caAcked = 0;
        hystart.onLoss();
    }

    @Override
    public void onRecoveryExit(long now) {
        cwnd = ssthresh;
    }

    @Override
    public void onRto(long inFlight, long now) {
        ssthresh = Math.max(inFlight / 2, 2L * mss);
        cwnd = mss;
        caAcked = 0;
        hystart.onRto();
    }

    @Override
    public void restore(long cwnd, long ssthresh) {
        this.cwnd = Math.max(cwnd, mss);
        this.ssthresh = ssthresh;
        caAcked = 0;
    }

    @Override
    public String name() {
        return "reno";
    }
}
