package io.jmptcp.core.cc;

/**
 * One subflow's controller in a {@link CoupledGroup}. Slow start (RFC 5681 with RFC 3465 byte
 * counting and HyStart++), fast recovery and timeouts are Reno's, as RFC 6356 section 3 keeps
 * them; congestion avoidance asks the group for the coupled increase, and a loss asks it for the
 * new threshold (BALIA's differs from Reno's).
 *
 * <p>What the group reads: {@link #window()} (during recovery the window the subflow is reducing
 * to, not the stale one from before the loss), {@link #rtt()} (the last smoothed RTT the engine
 * passed in) and, for OLIA, the bytes acknowledged since the last loss and between the last two.
 */
final class CoupledController implements CongestionControl {
    private final CoupledGroup group;
    private int mss;
    private double cwnd;
    private long ssthresh = Long.MAX_VALUE;
    private boolean inRecovery;
    private double rtt = -1;
    private long sinceLoss;
    private long betweenLosses;
    private final HyStartPlusPlus hystart = new HyStartPlusPlus();

    CoupledController(CoupledGroup group, int mss, int initialSegments) {
        this.group = group;
        this.mss = mss;
        this.cwnd = (double) mss * initialSegments;
    }

    @Override
    public long cwnd() {
        return (long) cwnd;
    }

    @Override
    public long ssthresh() {
        return ssthresh;
    }

    int mss() {
        return mss;
    }

    /** The window the others see, bytes. */
    double window() {
        return inRecovery ? Math.min(cwnd, ssthresh) : cwnd;
    }

    /** Smoothed RTT in microseconds, or -1 before the first. */
    double rtt() {
        return rtt;
    }

    /** OLIA's l_1r: bytes acknowledged since the last loss. */
    long bytesSinceLoss() {
        return sinceLoss;
    }

    /** OLIA's l_2r: bytes acknowledged between the last two losses (0 before the second). */
    long bytesBetweenLosses() {
        return betweenLosses;
    }

    @Override
    public void setMss(int mss) {
        long segs = Math.max(1, (long) (cwnd / this.mss));
        this.mss = mss;
        cwnd = (double) segs * mss;
    }

    @Override
    public void onAck(long ackedBytes, long rttSample, long srtt, boolean cwndLimited, long now) {
        inRecovery = false; // the engine calls onAck only outside recovery
        if (srtt > 0) {
            rtt = srtt;
        } else if (rttSample > 0 && rtt < 0) {
            rtt = rttSample;
        }
        sinceLoss += ackedBytes;
        if (!cwndLimited) {
            return;
        }
        if (cwnd < ssthresh) {
            // RFC 5681 (2) with RFC 3465: increase by the bytes acked, at most 2*SMSS per ACK.
            long inc = Math.min(ackedBytes, 2L * mss);
            switch (hystart.onAck(ackedBytes, rttSample, (long) cwnd + inc)) {
                case GROW -> cwnd += inc;
                case GROW_SLOWLY -> cwnd += (double) inc / HyStartPlusPlus.CSS_GROWTH_DIVISOR;
                case EXIT -> ssthresh = (long) cwnd;
            }
            return;
        }
        double inc = rtt > 0 ? group.increase(this, ackedBytes) : (double) ackedBytes * mss / cwnd;
        cwnd = Math.max(cwnd + inc, mss);
    }

    private void lossSeen() {
        betweenLosses = sinceLoss;
        sinceLoss = 0;
    }

    @Override
    public void onCongestionEvent(long inFlight, long now) {
        ssthresh = group.ssthreshAfterLoss(this, inFlight);
        inRecovery = true;
        lossSeen();
        hystart.onLoss();
    }

    @Override
    public void onRecoveryExit(long now) {
        cwnd = ssthresh;
        inRecovery = false;
    }

    @Override
    public void onRto(long inFlight, long now) {
        ssthresh = group.ssthreshAfterLoss(this, inFlight);
        cwnd = mss;
        inRecovery = false;
        lossSeen();
        hystart.onRto();
    }

    @Override
    public void restore(long cwnd, long ssthresh) {
        this.cwnd = Math.max(cwnd, mss);
        this.ssthresh = ssthresh;
        inRecovery = false;
    }

    @Override
    public String name() {
        return group.name();
    }

    @Override
    public String toString() {
        return group.name() + "[cwnd=" + cwnd() + " ssthresh=" + ssthresh + " rtt=" + (long) rtt + "]";
    }
}
