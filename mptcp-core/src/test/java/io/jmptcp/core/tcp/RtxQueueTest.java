package io.jmptcp.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The retransmission queue's ring: small while idle, grown as segments are sent, given back when drained. */
class RtxQueueTest {
    static RtxQueue.Entry entry(long seq, int len) {
        RtxQueue.Entry e = new RtxQueue.Entry();
        e.seq = seq;
        e.len = len;
        return e;
    }

    /** Issue 12: an idle subflow, or one that sent a few segments, holds a small ring. */
    @Test
    void aFewSegmentsKeepTheRingSmall() {
        RtxQueue q = new RtxQueue();
        assertTrue(q.capacity() <= 8, () -> "an empty queue has room for " + q.capacity());
        q.add(entry(0, 1));
        q.pollFirst();
        assertTrue(q.capacity() <= 8);
    }

    /** Growth keeps the order across the wrap; draining a big ring gives it back; it grows again. */
    @Test
    void growsInOrderAndIsGivenBackWhenDrained() {
        RtxQueue q = new RtxQueue();
        List<RtxQueue.Entry> sent = new ArrayList<>();
        long seq = 0;
        for (int i = 0; i < 5; i++) { // head moved: the growth below copies a wrapped ring
            RtxQueue.Entry e = entry(seq, 100);
            q.add(e);
            seq += 100;
            q.pollFirst();
        }
        for (int i = 0; i < 1000; i++) {
            RtxQueue.Entry e = entry(seq, 100);
            sent.add(e);
            q.add(e);
            seq += 100;
        }
        assertTrue(q.capacity() >= 1000);
        assertEquals(1000, q.size());
        for (int i = 0; i < 1000; i++) {
            assertSame(sent.get(i), q.get(i));
        }
        assertEquals(sent.get(500).seq, q.get(q.indexAfter(sent.get(500).seq)).seq);
        for (int i = 0; i < 1000; i++) {
            assertSame(sent.get(i), q.pollFirst());
        }
        assertTrue(q.isEmpty());
        assertEquals(RtxQueue.INITIAL_CAPACITY, q.capacity());
        RtxQueue.Entry again = entry(seq, 100);
        q.add(again);
        assertSame(again, q.first());
        assertSame(again, q.last());
    }
}
