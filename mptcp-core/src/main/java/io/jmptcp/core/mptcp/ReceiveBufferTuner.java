package io.jmptcp.core.mptcp;

/**
 * Connection-level receive-buffer auto-tuning (RFC 6182 section 5.3: the buffer should be about
 * 2 x sum(bandwidth) x max RTT; Linux's dynamic right-sizing, tcp_rcv_space_adjust and
 * mptcp_rcv_space_adjust). The buffer starts small, so an idle or slow connection holds the peer
 * to a small window, and grows while the application reads more than half of it per measurement
 * period: the period is the largest smoothed RTT among the subflows, so the bytes read in one
 * period are sum(bandwidth) x max RTT, and the buffer becomes twice that, never more than the cap.
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
        long target = Math.min(max, 2 * readInPeriod);
        periodStart = now;
        readInPeriod = 0;
        if (target <= capacity) {
            return false;
        }
        capacity = (int) target;
        return true;
    }
}
