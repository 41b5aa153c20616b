package io.jmptcp.core.tcp;

/**
 * RTO computation of RFC 6298 section 2 (with Linux's placement of the minimum, see
 * {@link #sample}), with exponential backoff (section 5.5). Callers apply
 * Karn's rule (section 3): no samples from retransmitted segments unless timestamps disambiguate.
 */
public final class RttEstimator {
    private final long minRto;
    private final long maxRto;
    private long srtt = -1;
    private long rttvar;
    private long rto;
    private long minRtt = Long.MAX_VALUE;
    private int backoff;

    public RttEstimator(long initialRto, long minRto, long maxRto) {
        this.minRto = minRto;
        this.maxRto = maxRto;
        this.rto = initialRto;
    }

    /** Feeds one RTT measurement in microseconds (RFC 6298 2.2 and 2.3, alpha 1/8, beta 1/4). */
    public void sample(long rtt) {
        if (rtt < 0) {
            return;
        }
        if (rtt == 0) {
            rtt = 1;
        }
        minRtt = Math.min(minRtt, rtt);
        if (srtt < 0) {
            srtt = rtt;
            rttvar = rtt / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - rtt)) / 4;
            srtt = (7 * srtt + rtt) / 8;
        }
        // RFC 6298 2.3 with K = 4 and G = 1 microsecond, except that the lower bound applies to the
        // variance term, as Linux does (tcp_set_rto): RTO = SRTT + max(4 RTTVAR, RTO.min). Bounding
        // the whole RTO instead lets it shrink to SRTT on a steady long path, where a delayed ACK
        // then fires a spurious timeout.
        rto = Math.min(maxRto, srtt + Math.max(minRto, 4 * rttvar));
        backoff = 0;
    }

    /** The current RTO including backoff (RFC 6298 5.5: doubled per expiry, capped). */
    public long rto() {
        long r = rto;
        for (int i = 0; i < backoff && r < maxRto; i++) {
            r <<= 1;
        }
        return Math.min(r, maxRto);
    }

    public void backOff() {
        if (backoff < 30) {
            backoff++;
        }
    }

    public void resetBackoff() {
        backoff = 0;
    }

    public int backoff() {
        return backoff;
    }

    /** Smoothed RTT, or -1 before the first sample. */
    public long srtt() {
        return srtt;
    }

    public long rttvar() {
        return rttvar;
    }

    /** Smallest RTT seen, or {@code Long.MAX_VALUE} before the first sample. */
    public long minRtt() {
        return minRtt;
    }
}
