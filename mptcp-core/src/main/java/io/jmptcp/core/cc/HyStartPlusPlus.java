package io.jmptcp.core.cc;

/**
 * HyStart++ (RFC 9406): leaves slow start when the round's minimum RTT rises, before the queue
 * overflows, through a few rounds of Conservative Slow Start (CSS). Used by {@link Reno} and
 * {@link Cubic}. A round is one window of acknowledged bytes (the CC does not see SND.NXT).
 */
final class HyStartPlusPlus {
    // RFC 9406 section 4.3, recommended constants.
    static final long MIN_RTT_THRESH = 4_000;
    static final long MAX_RTT_THRESH = 16_000;
    static final int MIN_RTT_DIVISOR = 8;
    static final int N_RTT_SAMPLE = 8;
    static final int CSS_GROWTH_DIVISOR = 4;
    static final int CSS_ROUNDS = 5;

    private long lastRoundMinRtt = Long.MAX_VALUE;
    private long currentRoundMinRtt = Long.MAX_VALUE;
    private int sampleCount;
    private long roundAcked;
    private long roundLength = -1;
    private boolean css;
    private long cssBaselineMinRtt;
    private int cssRounds;
    private boolean done;

    /** What slow start should do with this ACK. */
    enum Step { GROW, GROW_SLOWLY, EXIT }

    /**
     * Section 4.2, called for each ACK in slow start; {@code rtt} is -1 without a sample and
     * {@code cwnd} is the window including this ACK's growth (what a new round would send).
     */
    Step onAck(long acked, long rtt, long cwnd) {
        if (done) {
            return Step.GROW;
        }
        if (roundLength < 0) {
            roundLength = cwnd;
        }
        roundAcked += acked;
        boolean roundEnd = roundAcked >= roundLength;
        if (rtt > 0) {
            currentRoundMinRtt = Math.min(currentRoundMinRtt, rtt);
            sampleCount++;
        }
        Step step = css ? Step.GROW_SLOWLY : Step.GROW;
        if (!css) {
            if (sampleCount >= N_RTT_SAMPLE && currentRoundMinRtt != Long.MAX_VALUE
                    && lastRoundMinRtt != Long.MAX_VALUE) {
                long thresh = Math.max(MIN_RTT_THRESH, Math.min(lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH));
                if (currentRoundMinRtt >= lastRoundMinRtt + thresh) {
                    css = true;
                    cssBaselineMinRtt = currentRoundMinRtt;
                    cssRounds = 0;
                    step = Step.GROW_SLOWLY;
                }
            }
        } else if (sampleCount >= N_RTT_SAMPLE && currentRoundMinRtt < cssBaselineMinRtt) {
            css = false; // the RTT increase was spurious: back to slow start (section 4.2)
            step = Step.GROW;
        }
        if (roundEnd) {
            if (css && ++cssRounds >= CSS_ROUNDS) {
                done = true;
                return Step.EXIT;
            }
            lastRoundMinRtt = currentRoundMinRtt;
            currentRoundMinRtt = Long.MAX_VALUE;
            sampleCount = 0;
            roundAcked = 0;
            roundLength = cwnd;
        }
        return step;
    }

    /** A loss ends slow start; HyStart++ is used again only after an RTO (section 4.4). */
    void onLoss() {
        done = true;
    }

    void onRto() {
        done = false;
        css = false;
        lastRoundMinRtt = Long.MAX_VALUE;
        currentRoundMinRtt = Long.MAX_VALUE;
        sampleCount = 0;
        roundAcked = 0;
        roundLength = -1;
    }
}
