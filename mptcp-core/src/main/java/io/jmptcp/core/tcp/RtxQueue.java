package io.jmptcp.core.tcp;

/**
 * Segments sent and not yet cumulatively acknowledged, in sequence order, with the SACK scoreboard
 * (RFC 6675 section 3) kept as per-entry flags and byte counters, as Linux keeps sacked_out,
 * lost_out and retrans_out. Sequence numbers here are 64-bit offsets from the ISN.
 */
final class RtxQueue {
    static final class Entry {
        long seq;
        int len;           // payload bytes
        boolean syn;
        boolean fin;
        byte[] data;
        int off;
        Object tag;
        long xmitTime;     // last transmission (RFC 8985 RACK uses it)
        int xmits;         // transmissions so far
        boolean sacked;
        boolean lost;
        boolean retrans;   // retransmitted after being marked lost, not yet delivered

        int seqLen() {
            return len + (syn ? 1 : 0) + (fin ? 1 : 0);
        }

        long end() {
            return seq + seqLen();
        }
    }

    /**
     * The ring's first size (a power of two, doubled as segments are sent); an idle subflow keeps
     * this little (issue 12: the 256 entries it started with were 1 KB per idle subflow).
     */
    static final int INITIAL_CAPACITY = 8;
    /** A ring bigger than this is given back when the queue empties, as after a bulk transfer. */
    static final int KEPT_WHEN_EMPTY = 64;

    private Entry[] ring = new Entry[INITIAL_CAPACITY];
    private int head;
    private int size;

    long sackedOut;
    long lostOut;
    long retransOut;
    /** Lowest index that may hold a lost, not yet retransmitted entry. */
    private int lostHint;

    int size() {
        return size;
    }

    /** Entries the ring has room for now. */
    int capacity() {
        return ring.length;
    }

    boolean isEmpty() {
        return size == 0;
    }

    Entry get(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    Entry first() {
        return size == 0 ? null : get(0);
    }

    Entry last() {
        return size == 0 ? null : get(size - 1);
    }

    void add(Entry e) {
        if (size == ring.length) {
            Entry[] n = new Entry[ring.length * 2];
            for (int i = 0; i < size; i++) {
                n[i] = get(i);
            }
            ring = n;
            head = 0;
        }
        ring[(head + size) & (ring.length - 1)] = e;
        size++;
    }

    Entry pollFirst() {
        Entry e = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        if (size == 0 && ring.length > KEPT_WHEN_EMPTY) {
            ring = new Entry[INITIAL_CAPACITY];
            head = 0;
        }
        if (e.sacked) {
            sackedOut -= e.seqLen();
        }
        if (e.lost) {
            lostOut -= e.seqLen();
        }
        if (e.retrans) {
            retransOut -= e.seqLen();
        }
        if (lostHint > 0) {
            lostHint--;
        }
        return e;
    }

    /** Index of the first entry whose end is after {@code seq}, or size. */
    int indexAfter(long seq) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (get(mid).end() <= seq) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    void markSacked(Entry e) {
        if (e.lost) {
            lostOut -= e.seqLen();
            e.lost = false;
        }
        if (e.retrans) {
            retransOut -= e.seqLen();
            e.retrans = false;
        }
        e.sacked = true;
        sackedOut += e.seqLen();
    }

    void markLost(int index, Entry e) {
        if (e.sacked) {
            return;
        }
        if (e.lost) {
            if (e.retrans) {
                // The retransmission itself is lost (RACK, RFC 8985 6.2; or an RTO): send it again.
                retransOut -= e.seqLen();
                e.retrans = false;
            } else {
                return;
            }
        } else {
            e.lost = true;
            lostOut += e.seqLen();
        }
        if (index < lostHint) {
            lostHint = index;
        }
    }

    /** Forgets the loss marks of entries not yet retransmitted (after a spurious timeout). */
    void unmarkUnretransmittedLost() {
        for (int i = 0; i < size; i++) {
            Entry e = get(i);
            if (e.lost && !e.retrans) {
                e.lost = false;
                lostOut -= e.seqLen();
            }
        }
    }

    void markRetransmitted(Entry e) {
        if (e.lost && !e.retrans) {
            e.retrans = true;
            retransOut += e.seqLen();
        }
    }

    /** Index of the first entry that is lost and not yet retransmitted, or -1. */
    int nextLost() {
        for (int i = lostHint; i < size; i++) {
            Entry e = get(i);
            if (e.lost && !e.retrans) {
                lostHint = i;
                return i;
            }
        }
        lostHint = size;
        return -1;
    }

    /** Trims acknowledged bytes off the front of the head entry (a partial ACK of a segment). */
    void trimHead(long ack) {
        Entry e = get(0);
        int n = (int) (ack - e.seq);
        if (n <= 0 || n >= e.seqLen()) {
            return;
        }
        int before = e.seqLen();
        if (e.syn) {
            e.syn = false;
            n--;
        }
        e.off += n;
        e.len -= n;
        e.seq = ack;
        int diff = before - e.seqLen();
        if (e.sacked) {
            sackedOut -= diff;
        }
        if (e.lost) {
            lostOut -= diff;
        }
        if (e.retrans) {
            retransOut -= diff;
        }
    }
}
