package io.jmptcp.core.mptcp;

/**
 * The connection-level send buffer (RFC 8684 section 3.3.2, RFC 6182 section 5.2): bytes written
 * by the application stay here, addressed by DSN, until a DATA_ACK covers them. A subflow ACK does
 * not free anything, because data acknowledged on a subflow that then dies may still have to be
 * sent again on another one.
 *
 * <p>A ring of at most {@code capacity} bytes, allocated as the application writes (it starts
 * empty and doubles), so that a connection still in its handshake, or one that never sends much,
 * holds no send buffer (RFC 6182 section 5.8: no significant state before establishment; a SYN
 * flood once cost every half-open connection the whole buffer). DSNs are handled as offsets from
 * the local IDSN + 1.
 */
public final class DataSendBuffer {
    private static final byte[] NONE = new byte[0];
    /**
     * The smallest allocation: the first write allocates the next power of two that holds it, at
     * least this much (or the capacity if smaller), and the ring doubles from there. A request of
     * a few bytes on a short connection then costs 1 KiB, not 16 (DataSendBuffer.grow, allocating
     * 16 KiB per connection, had 14 % of the loop thread's samples in a profile of
     * scripts/bench.sh rate).
     */
    static final int INITIAL_ALLOCATION = 1024;
    private final long initialDsn;
    private final int capacity;
    private byte[] ring = NONE;

    /** Offset of the oldest unacknowledged byte (DATA_ACK). */
    private long unaOffset;
    /** Offset one past the last byte written by the application. */
    private long endOffset;
    private boolean finQueued;
    private boolean finAcked;

    public DataSendBuffer(long localIdsn, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.initialDsn = localIdsn + 1;
        this.capacity = capacity;
    }

    /** Copies as much of {@code src} as fits; returns the number of bytes taken. */
    public int write(byte[] src, int off, int len) {
        if (finQueued) {
            throw new IllegalStateException("write after close: the DATA_FIN is queued");
        }
        int n = (int) Math.min(len, free());
        if (n == 0) {
            return 0;
        }
        grow(held() + n);
        int pos = index(endOffset);
        int first = Math.min(n, ring.length - pos);
        System.arraycopy(src, off, ring, pos, first);
        System.arraycopy(src, off + first, ring, 0, n - first);
        endOffset += n;
        return n;
    }

    /** Queues the DATA_FIN after the last byte written (RFC 8684 section 3.3.3). */
    public void close() {
        finQueued = true;
    }

    /** Copies {@code len} bytes starting at {@code dsn} (which must be held) into {@code dst}. */
    public void copy(long dsn, byte[] dst, int off, int len) {
        long at = dsn - initialDsn;
        if (at < unaOffset || at + len > endOffset || len < 0) {
            throw new IllegalArgumentException("DSN range not held: " + Long.toUnsignedString(dsn)
                    + "+" + len);
        }
        int pos = index(at);
        int first = Math.min(len, ring.length - pos);
        System.arraycopy(ring, pos, dst, off, first);
        System.arraycopy(ring, 0, dst, off + first, len - first);
    }

    /**
     * Applies a DATA_ACK (already expanded to 64 bits). Returns the number of bytes freed. An ack
     * for data never sent, or an old one, changes nothing (RFC 8684 section 3.3.2; Linux ignores
     * such acks too).
     */
    public long ack(long dataAck) {
        long at = dataAck - initialDsn;
        long limit = endOffset + (finQueued ? 1 : 0);
        if (at <= unaOffset || at > limit) {
            return 0;
        }
        if (finQueued && at == limit) {
            finAcked = true;
            at = endOffset;
        }
        long freed = at - unaOffset;
        unaOffset = at;
        return freed;
    }

    /** The oldest unacknowledged DSN. */
    public long dataUna() {
        return initialDsn + unaOffset;
    }

    /** The DSN one past the last byte written; the DATA_FIN, once queued, has this DSN. */
    public long dataEnd() {
        return initialDsn + endOffset;
    }

    public boolean finQueued() {
        return finQueued;
    }

    public boolean finAcked() {
        return finAcked;
    }

    /** Bytes held (written and not yet DATA_ACKed). */
    public long held() {
        return endOffset - unaOffset;
    }

    /** Room for more application bytes. */
    public long free() {
        return capacity - held();
    }

    /** Bytes allocated for the ring now (at most the capacity). */
    public int allocated() {
        return ring.length;
    }

    /** Makes the ring hold at least {@code need} bytes, keeping each held byte at its offset. */
    private void grow(long need) {
        if (need <= ring.length) {
            return;
        }
        long size = Math.max(Math.max(Long.highestOneBit(need - 1) << 1, 2L * ring.length), INITIAL_ALLOCATION);
        byte[] bigger = new byte[(int) Math.min(size, capacity)];
        int held = (int) held();
        if (held > 0) {
            byte[] tmp = new byte[held];
            copy(initialDsn + unaOffset, tmp, 0, held);
            int pos = (int) Math.floorMod(unaOffset, (long) bigger.length);
            int first = Math.min(held, bigger.length - pos);
            System.arraycopy(tmp, 0, bigger, pos, first);
            System.arraycopy(tmp, first, bigger, 0, held - first);
        }
        ring = bigger;
    }

    private int index(long offset) {
        return (int) Math.floorMod(offset, (long) ring.length);
    }
}
