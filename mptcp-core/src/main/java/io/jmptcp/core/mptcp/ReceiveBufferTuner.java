package io.jmptcp.core.mptcp;

/**
 * Connection-level receive-buffer auto-tuning (RFC 6182 section 5.3: the buffer should be about
 * 2 x sum(bandwidth) x max RTT; Linux's dynamic right-sizing, tcp_rcv_space_adjust and
 * mptcp_rcv_space_adjust). The buffer starts small, so an idle or slow connection holds the peer
 * to a small window, and grows while the application reads more than half of it per measurement
 * period: the period is the largest smoothed RTT among the subflows, so the bytes read in one
 * period are sum(bandwidth) x max RTT, and the buffer becomes twice that, never more than the cap.
 * Bytes read count only up to the new bytes that arrived in the same period: a burst read after
 * a hole was filled says nothing of the bandwidth.
 * It never shrinks (the advertised window may not, RFC 8684 section 3.3.4).
 *
 * <p>A sender held back by the window delivers about one buffer per RTT; the buffer then doubles
 * each period, as a slow start, until the paths, not the window, limit the rate.
 */
final class ReceiveBufferTuner {
    private final int max;
    private int capacity;
    private long periodStart = -1;
    private long readInPeriod;
    private long receivedInPeriod;

    /**
     * @param initial the first capacity, bytes
     * @param max     the cap, bytes; {@code initial == max} fixes the size
     */
    ReceiveBufferTuner(int initial, int max) {
        if (initial <= 0 || max < initial) {
            throw new IllegalArgumentException("receive buffer " + initial + " with cap " + max);
        }
        this.capacity = initial;
        this.max = max;
    }

    int capacity() {
        return capacity;
    }

    int max() {
        return max;
    }

    /** {@code bytes} of new data (no duplicate) arrived from the peer. */
    void onReceived(long bytes) {
        receivedInPeriod += bytes;
    }

    /**
     * The application read {@code bytes} at {@code now}; {@code maxRttMicros} is the largest
     * smoothed RTT among the subflows (0 or less: none yet). Returns whether the capacity grew.
     */
    boolean onRead(long now, long bytes, long maxRttMicros) {
        if (capacity >= max || maxRttMicros <= 0) {
            return false;
        }
        if (periodStart < 0) {
            periodStart = now;
        }
        readInPeriod += bytes;
        if (now - periodStart < maxRttMicros) {
            return false;
        }
        // What arrived in the period bounds what it says of the bandwidth: when a hole is filled
        // the application reads in one go what arrived over many periods (and the buffer doubled
        // on it, up to the cap, with every reinjection after a path flapped).
        long target = Math.min(max, 2 * Math.min(readInPeriod, receivedInPeriod));
        periodStart = now;
        readInPeriod = 0;
        receivedInPeriod = 0;
        if (target <= capacity) {
            return false;
        }
        capacity = (int) target;
        return true;
    }
}
