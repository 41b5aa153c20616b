package io.jmptcp.core.mptcp;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * The connection-level receive buffer (RFC 8684 section 3.3.4 and 3.3.5, RFC 6182 section 5.3):
 * data from every subflow is put in order by its DSN, delivered to the application exactly once
 * and in order, and one receive window, relative to the DATA_ACK, is advertised on every subflow.
 *
 * <p>DSNs are kept as offsets from the peer's IDSN + 1, so ordinary {@code long} order applies
 * (2^63 bytes will not be sent on one connection). The window never shrinks: the right edge that
 * was advertised is remembered and data up to it is accepted even if the buffer filled since.
 */
public final class DataReceiveBuffer {
    private final long initialDsn;
    private int capacity;
    /** Bound on out-of-order bytes held; follows {@link #grow} when it defaulted to the capacity. */
    private int maxOutOfOrder;
    private final boolean maxOutOfOrderIsCapacity;
    private long outOfOrderDropped;

    /** Offset of the next byte expected in order; DATA_ACK = initialDsn + ackOffset. */
    private long ackOffset;
    /** Bytes delivered in order and not yet read by the application. */
    private ArrayDeque<byte[]> ready = new ArrayDeque<>(4); // small while idle (issue 12)
    /** Most chunks {@link #ready} held since it was made: its array is at least this big. */
    private int readyPeak;
    private int readyHead;
    private long readyBytes;
    /** Out-of-order data by start offset; entries never overlap. */
    private final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();
    private long outOfOrderBytes;
    /** Largest right edge (offset) ever advertised. */
    private long advertisedEdge;
    /** Offset of the DATA_FIN byte, or -1. */
    private long finOffset = -1;

    private long duplicateBytes;
    private long beyondWindowBytes;
    private long pastEdgeBytes;
    private long finConflicts;

    /**
     * @param peerIdsn the peer's IDSN; its first data byte has DSN = IDSN + 1
     * @param capacity the buffer size in bytes, which bounds the advertised window
     */
    public DataReceiveBuffer(long peerIdsn, int capacity) {
        this(peerIdsn, capacity, 0);
    }

    /**
     * @param maxOutOfOrder the most out-of-order bytes held (0: {@code capacity}); data that would
     *                      hold more is dropped and counted ({@link #outOfOrderDropped()})
     */
    public DataReceiveBuffer(long peerIdsn, int capacity, int maxOutOfOrder) {
        if (capacity <= 0 || maxOutOfOrder < 0) {
            throw new IllegalArgumentException("capacity must be positive, maxOutOfOrder not negative: "
                    + capacity + ", " + maxOutOfOrder);
        }
        this.initialDsn = peerIdsn + 1;
        this.capacity = capacity;
        this.maxOutOfOrderIsCapacity = maxOutOfOrder == 0;
        this.maxOutOfOrder = maxOutOfOrderIsCapacity ? capacity : maxOutOfOrder;
        this.advertisedEdge = capacity;
    }

    /** The buffer size in bytes, which bounds the advertised window. */
    public int capacity() {
        return capacity;
    }

    /** Raises the capacity (auto-tuning, {@link ReceiveBufferTuner}); it never shrinks. */
    public void grow(int newCapacity) {
        capacity = Math.max(capacity, newCapacity);
        if (maxOutOfOrderIsCapacity) {
            maxOutOfOrder = capacity;
        }
    }

    /** The DATA_ACK to send: the DSN of the next byte expected (one past DATA_FIN once it is in). */
    public long dataAck() {
        return initialDsn + ackOffset + (finReceived() ? 1 : 0);
    }

    /** True once every byte up to and including the DATA_FIN has arrived. */
    public boolean finReceived() {
        return finOffset >= 0 && ackOffset == finOffset;
    }

    /** The receive window to advertise now, in bytes, relative to {@link #dataAck()}; it never shrinks the right edge. */
    public long window() {
        long free = capacity - readyBytes - outOfOrderBytes;
        long edge = Math.max(advertisedEdge, ackOffset + Math.max(free, 0));
        advertisedEdge = edge;
        return edge - ackOffset;
    }

    /** The right edge (DSN) last advertised. */
    public long rightEdge() {
        return initialDsn + advertisedEdge;
    }

    /**
     * Takes mapped data from a subflow. Returns the number of bytes that became deliverable in
     * order. Duplicates are trimmed; where data overlaps data already held, the first copy is kept
     * (as Linux keeps it) and the overlap counted as duplicate. Data that starts out of order and
     * reaches past the advertised right edge is cut at the edge and counted, as Linux drops it: it
     * cannot be data the sender was allowed to send, and kept it would shadow the real bytes for
     * those DSNs (a mapping rewritten on the path). Data that continues the stream in order is
     * kept past the edge while it fits in one more buffer's worth: a subflow has already
     * acknowledged it, and a sender may overshoot the edge when it pairs a DATA_ACK with a window
     * from another segment. Bytes beyond an accepted DATA_FIN are dropped and counted as a
     * DATA_FIN conflict.
     */
    public int receive(long dsn, byte[] data, int off, int len) {
        long start = dsn - initialDsn;
        long end = start + len;
        if (len <= 0 || end <= ackOffset) {
            duplicateBytes += len;
            return 0;
        }
        if (finOffset >= 0 && end > finOffset) {
            finConflicts++;
            end = Math.max(finOffset, start);
            if (end <= start) {
                return 0;
            }
        }
        if (end > advertisedEdge) {
            pastEdgeBytes += end - Math.max(advertisedEdge, start);
        }
        long hardEdge = start <= ackOffset ? advertisedEdge + capacity : advertisedEdge;
        if (end > hardEdge) {
            long cut = end - Math.max(hardEdge, start);
            beyondWindowBytes += cut;
            end = Math.max(hardEdge, start);
        }
        if (start < ackOffset) {
            duplicateBytes += ackOffset - start;
            off += (int) (ackOffset - start);
            start = ackOffset;
        }
        if (end <= start) {
            return 0;
        }
        insertOutOfOrder(start, data, off, (int) (end - start));
        return drainInOrder();
    }

    /**
     * Records the DATA_FIN at the given DSN (the DSN of the FIN's own sequence byte). A DATA_FIN
     * that contradicts the stream is ignored and counted ({@link #finConflicts()}): one at another
     * DSN than the DATA_FIN already taken, one below data already delivered in order, or one
     * below data already held out of order. Returns whether it was taken (or repeated).
     */
    public boolean receiveDataFin(long finDsn) {
        long at = finDsn - initialDsn;
        if (finOffset >= 0) {
            if (at != finOffset) {
                finConflicts++;
                return false;
            }
            return true;
        }
        Map.Entry<Long, byte[]> last = outOfOrder.lastEntry();
        if (at < ackOffset || (last != null && last.getKey() + last.getValue().length > at)) {
            finConflicts++;
            return false;
        }
        finOffset = at;
        return true;
    }

    /** DATA_FINs ignored because they contradict the stream, and data segments cut at the DATA_FIN. */
    public long finConflicts() {
        return finConflicts;
    }

    private void insertOutOfOrder(long start, byte[] data, int off, int len) {
        long end = start + len;
        // Trim against existing neighbours so entries never overlap.
        Map.Entry<Long, byte[]> below = outOfOrder.floorEntry(start);
        if (below != null) {
            long belowEnd = below.getKey() + below.getValue().length;
            if (belowEnd >= end) {
                duplicateBytes += len;
                return;
            }
            if (belowEnd > start) {
                duplicateBytes += belowEnd - start;
                off += (int) (belowEnd - start);
                start = belowEnd;
            }
        }
        // Out of order, at most maxOutOfOrder bytes are held: new bytes past that are dropped (the
        // sender sends them again at the data level). Only new bytes count against the bound, so
        // a piece that mostly overlaps held data still keeps the new bytes that fit.
        long room = start > ackOffset ? Math.max(0, maxOutOfOrder - outOfOrderBytes) : Long.MAX_VALUE;
        while (start < end) {
            Map.Entry<Long, byte[]> next = outOfOrder.ceilingEntry(start);
            long pieceEnd = next == null ? end : Math.min(end, next.getKey());
            if (pieceEnd > start) {
                int n = (int) (pieceEnd - start);
                int keep = (int) Math.min(n, room);
                if (keep > 0) {
                    byte[] piece = new byte[keep];
                    System.arraycopy(data, off, piece, 0, keep);
                    outOfOrder.put(start, piece);
                    outOfOrderBytes += keep;
                    room -= keep;
                }
                outOfOrderDropped += n - keep;
                off += n;
                start = pieceEnd;
            }
            if (next != null && start < end) {
                long nextEnd = next.getKey() + next.getValue().length;
                long skip = Math.min(end, nextEnd) - start;
                duplicateBytes += skip;
                off += (int) skip;
                start += skip;
            }
        }
    }

    private int drainInOrder() {
        int moved = 0;
        Map.Entry<Long, byte[]> first;
        while ((first = outOfOrder.firstEntry()) != null && first.getKey() == ackOffset) {
            outOfOrder.pollFirstEntry();
            byte[] chunk = first.getValue();
            outOfOrderBytes -= chunk.length;
            ready.addLast(chunk);
            readyPeak = Math.max(readyPeak, ready.size());
            readyBytes += chunk.length;
            ackOffset += chunk.length;
            moved += chunk.length;
        }
        return moved;
    }

    /** Bytes the application can read now. */
    public long readable() {
        return readyBytes;
    }

    /** Copies up to {@code len} in-order bytes to {@code dst}; returns the count (0 if none). */
    public int read(byte[] dst, int off, int len) {
        int done = 0;
        while (done < len && !ready.isEmpty()) {
            byte[] head = ready.peekFirst();
            int n = Math.min(len - done, head.length - readyHead);
            System.arraycopy(head, readyHead, dst, off + done, n);
            readyHead += n;
            done += n;
            if (readyHead == head.length) {
                ready.pollFirst();
                readyHead = 0;
            }
        }
        readyBytes -= done;
        if (ready.isEmpty() && readyPeak > RETURNED_PAST) {
            ready = new ArrayDeque<>(4); // drained after a backlog: give its big array back (issue 12)
            readyPeak = 0;
        }
        return done;
    }

    /** A {@link #ready} queue that held more chunks than this is replaced once it drains. */
    static final int RETURNED_PAST = 64;

    /** Slots {@link #ready}'s array may have grown to, as far as this buffer knows (for tests). */
    int readyPeak() {
        return readyPeak;
    }

    /** True when the DATA_FIN has arrived and the application has read everything before it. */
    public boolean atEof() {
        return finReceived() && readyBytes == 0;
    }

    /** Bytes received more than once (trimmed). */
    public long duplicateBytes() {
        return duplicateBytes;
    }

    /** Bytes dropped because they lay beyond the advertised window and the slack past it. */
    public long beyondWindowBytes() {
        return beyondWindowBytes;
    }

    /** Bytes that arrived past the advertised right edge (kept or dropped): the sender overshot. */
    public long pastEdgeBytes() {
        return pastEdgeBytes;
    }

    /** Out-of-order bytes dropped because {@code maxOutOfOrder} were held. */
    public long outOfOrderDropped() {
        return outOfOrderDropped;
    }

    /** Bytes held out of order. */
    public long outOfOrderBytes() {
        return outOfOrderBytes;
    }
}
