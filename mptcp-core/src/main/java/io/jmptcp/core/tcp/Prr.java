package io.jmptcp.core.tcp;

/**
 * Proportional Rate Reduction (RFC 6937 section 3, with the slow-start reduction bound): during
 * fast recovery, sending is paced so that the window falls smoothly to ssthresh instead of stopping.
 */
final class Prr {
    private long delivered;
    private long out;
    private long recoverFs;
    private long cwnd;

    /** Entering recovery with {@code pipe} in flight. */
    void start(long pipe, long ssthresh, int mss) {
        delivered = 0;
        out = 0;
        recoverFs = Math.max(pipe, 1);
        cwnd = Math.min(ssthresh, pipe + mss);
    }

    /** Bytes sent during recovery. */
    void onSent(long bytes) {
        out += bytes;
    }

    /** An ACK delivered {@code newlyDelivered} bytes (ACKed or SACKed); recomputes the window. */
    void update(long newlyDelivered, long pipe, long ssthresh, long lostOut, int mss) {
        delivered += newlyDelivered;
        long sndcnt;
        if (pipe > ssthresh) {
            sndcnt = (delivered * ssthresh + recoverFs - 1) / recoverFs - out;
        } else {
            long limit = Math.max(delivered - out, newlyDelivered) + mss;
            sndcnt = Math.min(ssthresh - pipe, limit);
        }
        sndcnt = Math.max(sndcnt, 0);
        if (sndcnt == 0 && out == 0 && lostOut > 0) {
            sndcnt = mss; // the first fast retransmission always goes out
        }
        cwnd = pipe + sndcnt;
    }

    long cwnd() {
        return cwnd;
    }
}
