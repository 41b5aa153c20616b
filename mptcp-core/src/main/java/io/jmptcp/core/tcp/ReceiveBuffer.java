package io.jmptcp.core.tcp;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * The receive side's data: bytes ready for the application in order, and the out-of-order queue
 * with the SACK blocks it produces (RFC 2018 section 4, most recent block first) and D-SACK reports
 * for duplicates (RFC 2883). Payload slices are kept by reference, never copied. Sequence numbers
 * are 64-bit offsets from the peer's ISN.
 */
final class ReceiveBuffer {
    private ArrayDeque<RecvChunk> ready = new ArrayDeque<>(4); // small while idle (issue 12)
    /** Most chunks {@link #ready} held since it was made: its array is at least this big. */
    private int readyPeak;
    /** A {@link #ready} queue that held more chunks than this is replaced once it drains. */
    static final int RETURNED_PAST = 64;
    private long readyBytes;
    /** Next in-order data byte expected (RCV.NXT for data). */
    long nxt;

    /** Out-of-order pieces, non-overlapping, by start. */
    private final TreeMap<Long, RecvChunk> pieces = new TreeMap<>();
    /** Merged out-of-order ranges: start to end. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();
    private long oooBytes;
    /** Starts of recently changed ranges, most recent first (RFC 2018 section 4). */
    private final long[] recent = new long[4];
    private int recentCount;

    /** Duplicate range to report first in the next ACK (RFC 2883), or dsackLeft == dsackRight. */
    long dsackLeft;
    long dsackRight;

    long readyBytes() {
        return readyBytes;
    }

    long outOfOrderBytes() {
        return oooBytes;
    }

    boolean hasOutOfOrder() {
        return !ranges.isEmpty();
    }

    /** Highest sequence held out of order, or nxt. */
    long highestOutOfOrder() {
        return ranges.isEmpty() ? nxt : ranges.lastEntry().getValue();
    }

    /**
     * Takes the payload [seq, seq+len) (already trimmed to the window). Returns the bytes that
     * became readable in order.
     */
    long accept(long seq, byte[] data, int off, int len) {
        long end = seq + len;
        if (end <= nxt) {
            setDsack(seq, end);
            return 0;
        }
        if (seq < nxt) {
            setDsack(seq, nxt);
            int cut = (int) (nxt - seq);
            off += cut;
            len -= cut;
            seq = nxt;
        }
        if (seq == nxt) {
            long before = nxt;
            // Skip whatever part is already held out of order: the pull below supplies it.
            Map.Entry<Long, RecvChunk> first = pieces.firstEntry();
            int take = len;
            if (first != null && first.getKey() < end) {
                take = (int) (first.getKey() - seq);
                setDsack(first.getKey(), Math.min(end, first.getKey() + first.getValue().length()));
            }
            if (take > 0) {
                ready.addLast(new RecvChunk(seq, data, off, take));
                readyPeak = Math.max(readyPeak, ready.size());
                readyBytes += take;
                nxt = seq + take;
            }
            pullInOrder(end, data, off, seq);
            return nxt - before;
        }
        insertOutOfOrder(seq, end, data, off);
        return 0;
    }

    /** Moves out-of-order data that now continues the in-order stream; also fills gaps from data. */
    private void pullInOrder(long end, byte[] data, int off, long dataSeq) {
        while (true) {
            Map.Entry<Long, RecvChunk> f = pieces.firstEntry();
            if (f == null || f.getKey() > nxt) {
                break;
            }
            pieces.pollFirstEntry();
            RecvChunk c = f.getValue();
            long cEnd = c.relativeSeq() + c.length();
            oooBytes -= c.length();
            if (cEnd > nxt) {
                int cut = (int) (nxt - c.relativeSeq());
                ready.addLast(new RecvChunk(nxt, c.data(), c.offset() + cut, c.length() - cut));
                readyPeak = Math.max(readyPeak, ready.size());
                readyBytes += c.length() - cut;
                nxt = cEnd;
            }
            // The new segment may cover a gap after this piece.
            if (end > nxt) {
                Map.Entry<Long, RecvChunk> n = pieces.firstEntry();
                long gapEnd = n == null ? end : Math.min(end, n.getKey());
                if (gapEnd > nxt) {
                    int o = off + (int) (nxt - dataSeq);
                    ready.addLast(new RecvChunk(nxt, data, o, (int) (gapEnd - nxt)));
                    readyPeak = Math.max(readyPeak, ready.size());
                    readyBytes += gapEnd - nxt;
                    nxt = gapEnd;
                }
            }
        }
        while (!ranges.isEmpty() && ranges.firstKey() <= nxt) {
            ranges.pollFirstEntry();
        }
        int w = 0;
        for (int i = 0; i < recentCount; i++) {
            if (recent[i] > nxt) {
                recent[w++] = recent[i];
            }
        }
        recentCount = w;
    }

    private void insertOutOfOrder(long seq, long end, byte[] data, int off) {
        long pos = seq;
        Map.Entry<Long, RecvChunk> f = pieces.floorEntry(pos);
        if (f != null) {
            long fEnd = f.getKey() + f.getValue().length();
            if (fEnd > pos) {
                setDsack(pos, Math.min(end, fEnd));
                pos = fEnd;
            }
        }
        while (pos < end) {
            Map.Entry<Long, RecvChunk> nx = pieces.ceilingEntry(pos);
            long gapEnd = nx == null ? end : Math.min(end, nx.getKey());
            if (gapEnd > pos) {
                pieces.put(pos, new RecvChunk(pos, data, off + (int) (pos - seq), (int) (gapEnd - pos)));
                oooBytes += gapEnd - pos;
                pos = gapEnd;
            }
            if (nx != null && nx.getKey() < end) {
                long nEnd = nx.getKey() + nx.getValue().length();
                if (nx.getKey() == pos) {
                    setDsack(pos, Math.min(end, nEnd));
                }
                pos = Math.max(pos, nEnd);
            }
        }
        // Merge [seq, end) into the ranges.
        long s = seq;
        long e = end;
        Map.Entry<Long, Long> lower = ranges.floorEntry(s);
        if (lower != null && lower.getValue() >= s) {
            s = lower.getKey();
            e = Math.max(e, lower.getValue());
            ranges.remove(lower.getKey());
        }
        while (true) {
            Map.Entry<Long, Long> hi = ranges.ceilingEntry(s);
            if (hi == null || hi.getKey() > e) {
                break;
            }
            e = Math.max(e, hi.getValue());
            ranges.remove(hi.getKey());
        }
        ranges.put(s, e);
        // Most recent first; drop entries now inside the merged block.
        int w = 0;
        long[] tmp = new long[4];
        tmp[w++] = s;
        for (int i = 0; i < recentCount && w < 4; i++) {
            long r = recent[i];
            if (r < s || r >= e) {
                tmp[w++] = r;
            }
        }
        System.arraycopy(tmp, 0, recent, 0, w);
        recentCount = w;
    }

    private void setDsack(long l, long r) {
        if (r > l) {
            dsackLeft = l;
            dsackRight = r;
        }
    }

    boolean hasDsack() {
        return dsackRight > dsackLeft;
    }

    void clearDsack() {
        dsackLeft = dsackRight = 0;
    }

    /**
     * Writes up to {@code max} SACK blocks, most recent first, as start/end pairs into {@code out};
     * returns the count. Blocks whose start no longer exists are looked up by containment.
     */
    int sackBlocks(long[] out, int max) {
        int n = 0;
        for (int i = 0; i < recentCount && n < max; i++) {
            Map.Entry<Long, Long> r = ranges.floorEntry(recent[i]);
            if (r == null || r.getValue() <= recent[i]) {
                continue;
            }
            boolean dup = false;
            for (int j = 0; j < n; j++) {
                if (out[2 * j] == r.getKey()) {
                    dup = true;
                    break;
                }
            }
            if (!dup) {
                out[2 * n] = r.getKey();
                out[2 * n + 1] = r.getValue();
                n++;
            }
        }
        // RFC 2018 section 4: fill remaining slots with other blocks.
        for (Map.Entry<Long, Long> r : ranges.entrySet()) {
            if (n >= max) {
                break;
            }
            boolean dup = false;
            for (int j = 0; j < n; j++) {
                if (out[2 * j] == r.getKey()) {
                    dup = true;
                    break;
                }
            }
            if (!dup) {
                out[2 * n] = r.getKey();
                out[2 * n + 1] = r.getValue();
                n++;
            }
        }
        return n;
    }

    /** Copies up to {@code len} in-order bytes into {@code dst}. */
    int read(byte[] dst, int off, int len) {
        int done = 0;
        while (done < len && !ready.isEmpty()) {
            RecvChunk c = ready.peekFirst();
            int k = Math.min(len - done, c.length());
            System.arraycopy(c.data(), c.offset(), dst, off + done, k);
            done += k;
            if (k == c.length()) {
                ready.pollFirst();
            } else {
                ready.pollFirst();
                ready.addFirst(new RecvChunk(c.relativeSeq() + k, c.data(), c.offset() + k, c.length() - k));
            }
        }
        readyBytes -= done;
        drained();
        return done;
    }

    /** Drained after a backlog: the big array of {@link #ready} is given back (issue 12). */
    private void drained() {
        if (ready.isEmpty() && readyPeak > RETURNED_PAST) {
            ready = new ArrayDeque<>(4);
            readyPeak = 0;
        }
    }

    /** Slots {@link #ready}'s array may have grown to, as far as this buffer knows (for tests). */
    int readyPeak() {
        return readyPeak;
    }

    /** The next in-order chunk, at most {@code max} bytes, or null. */
    RecvChunk poll(int max) {
        RecvChunk c = ready.pollFirst();
        if (c == null) {
            return null;
        }
        if (c.length() > max) {
            ready.addFirst(new RecvChunk(c.relativeSeq() + max, c.data(), c.offset() + max, c.length() - max));
            c = new RecvChunk(c.relativeSeq(), c.data(), c.offset(), max);
        }
        readyBytes -= c.length();
        drained();
        return c;
    }
}
