package io.jmptcp.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** {@link SeqNum} (RFC 9293 section 3.4) and {@link DataSeq} (RFC 8684 section 3.3) across their wraps. */
class SequenceTest {

    @Test
    void seqNumComparesAcrossTheWrap() {
        int beforeWrap = 0xfffffff0;
        int afterWrap = 0x10;
        assertTrue(SeqNum.lt(beforeWrap, afterWrap));
        assertTrue(SeqNum.le(beforeWrap, afterWrap));
        assertTrue(SeqNum.gt(afterWrap, beforeWrap));
        assertTrue(SeqNum.ge(afterWrap, beforeWrap));
        assertFalse(SeqNum.lt(afterWrap, beforeWrap));
        assertTrue(SeqNum.le(afterWrap, afterWrap));
        assertFalse(SeqNum.lt(afterWrap, afterWrap));
        assertEquals(afterWrap, SeqNum.max(beforeWrap, afterWrap));
        assertEquals(beforeWrap, SeqNum.min(afterWrap, beforeWrap));
        // The signed comparison would say the opposite; the record agrees with the static forms.
        SeqNum a = new SeqNum(beforeWrap);
        SeqNum b = new SeqNum(afterWrap);
        assertTrue(a.lt(b) && a.le(b) && b.gt(a) && b.ge(a));
        assertTrue(a.compareTo(b) < 0 && b.compareTo(a) > 0);
        assertEquals(0x20, b.minus(a));
        assertEquals(-0x20, a.minus(b));
        assertEquals(b, a.plus(0x20));
        assertEquals("4294967280", a.toString());
        assertEquals(0xfffffff0L, a.unsigned());
        assertEquals(new SeqNum(-1), SeqNum.of(0xffffffffL));
    }

    @Test
    void windowAcrossTheWrap() {
        int lo = 0xfffffff0;
        int hi = 0x20;
        assertTrue(SeqNum.inWindow(lo, lo, hi));
        assertTrue(SeqNum.inWindow(0xffffffff, lo, hi));
        assertTrue(SeqNum.inWindow(0, lo, hi));
        assertTrue(SeqNum.inWindow(0x1f, lo, hi));
        assertFalse(SeqNum.inWindow(hi, lo, hi));
        assertFalse(SeqNum.inWindow(lo - 1, lo, hi));
        assertFalse(SeqNum.inWindow(5, 5, 5), "an empty window holds nothing");
    }

    @Property
    void seqNumOrderHoldsForDistancesBelowHalfTheSpace(@ForAll int a, @ForAll @IntRange(min = 1, max = Integer.MAX_VALUE) int d) {
        int b = a + d;
        assertTrue(SeqNum.lt(a, b));
        assertTrue(SeqNum.gt(b, a));
        assertFalse(SeqNum.lt(b, a));
        assertFalse(SeqNum.ge(a, b));
        assertEquals(d, new SeqNum(b).minus(new SeqNum(a)));
        assertEquals(b, SeqNum.max(a, b));
        assertEquals(a, SeqNum.min(b, a));
        assertTrue(SeqNum.inWindow(a, a, b));
        assertFalse(SeqNum.inWindow(b, a, b));
    }

    @Test
    void dataSeqExpandsForwardAcrossTheLow32Wrap() {
        // The peer's 32-bit DSN wrapped past 2^32 while our reference is just below it.
        assertEquals(0x0000000200000010L, DataSeq.expand32(0x00000001fffffff0L, 0x00000010));
        assertEquals(0x00000001fffffff8L, DataSeq.expand32(0x00000001fffffff0L, 0xfffffff8));
    }

    @Test
    void dataSeqExpandsBackwardAcrossTheLow32Wrap() {
        // An old (retransmitted) 32-bit value from before the wrap, reference just after it.
        assertEquals(0x00000001fffffff0L, DataSeq.expand32(0x0000000200000010L, 0xfffffff0));
        assertEquals(0x0000000200000008L, DataSeq.expand32(0x0000000200000010L, 0x00000008));
    }

    @Test
    void dataSeqExpandsAcrossThe64BitWrap() {
        assertEquals(0x10L, DataSeq.expand32(0xfffffffffffffff0L, 0x10));
        assertEquals(0xfffffffffffffff0L, DataSeq.expand32(0x10L, 0xfffffff0));
        assertTrue(DataSeq.lt(0xfffffffffffffff0L, 0x10L));
        assertTrue(new DataSeq(0xfffffffffffffff0L).lt(new DataSeq(0x10L)));
        assertTrue(new DataSeq(0xfffffffffffffff0L).plus(0x20).le(new DataSeq(0x10L)));
        assertEquals("18446744073709551600", new DataSeq(0xfffffffffffffff0L).toString());
    }

    /** Linux {@code __mptcp_expand_seq} (net/mptcp/options.c), rewritten here as the reference. */
    static long linuxExpand(long oldSeq, int cur32) {
        int old32 = (int) oldSeq;
        long cur = (oldSeq & 0xffffffff00000000L) + Integer.toUnsignedLong(cur32);
        if (Integer.compareUnsigned(cur32, old32) < 0 && old32 - cur32 < 0) {
            return cur + (1L << 32);
        }
        if (Integer.compareUnsigned(cur32, old32) > 0 && old32 - cur32 > 0) {
            return cur - (1L << 32);
        }
        return cur;
    }

    @Property(tries = 2000)
    void expand32RecoversAnyValueWithin2e31OfTheReference(@ForAll long reference,
            @ForAll @LongRange(min = -(1L << 31) + 1, max = (1L << 31) - 1) long delta) {
        long actual = reference + delta;
        assertEquals(actual, DataSeq.expand32(reference, (int) actual));
        assertEquals(linuxExpand(reference, (int) actual), DataSeq.expand32(reference, (int) actual));
    }
}
