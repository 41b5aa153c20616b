package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DataReceiveBufferTest {
    private static final long IDSN = 0xffff_ffff_ffff_fff0L; // the data sequence space wraps

    @Test
    void inOrderDataIsDeliveredAndAcked() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 1000);
        assertEquals(IDSN + 1, b.dataAck());
        assertEquals(5, b.receive(IDSN + 1, "hello".getBytes(), 0, 5));
        assertEquals(IDSN + 6, b.dataAck());
        byte[] out = new byte[10];
        assertEquals(5, b.read(out, 0, 10));
        assertEquals("hello", new String(out, 0, 5));
    }

    /** Issue 12: a backlog of many chunks, once read, does not leave its big queue behind. */
    @Test
    void aDrainedBacklogGivesItsQueueBack() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 1 << 20);
        byte[] chunk = new byte[10];
        long dsn = IDSN + 1;
        for (int i = 0; i < 1000; i++) {
            chunk[0] = (byte) i;
            assertEquals(10, b.receive(dsn, chunk, 0, 10));
            dsn += 10;
        }
        assertTrue(b.readyPeak() >= 1000);
        byte[] out = new byte[10_000];
        assertEquals(5005, b.read(out, 0, 5005)); // half a chunk left: the queue stays
        assertTrue(b.readyPeak() >= 1000);
        assertEquals(4995, b.read(out, 5005, 10_000 - 5005));
        assertEquals(0, b.readyPeak());
        for (int i = 0; i < 1000; i++) {
            assertEquals((byte) i, out[10 * i]);
        }
        assertEquals(5, b.receive(dsn, "hello".getBytes(), 0, 5));
        assertEquals(5, b.read(out, 0, 10));
        assertEquals("hello", new String(out, 0, 5));
    }

    @Test
    void outOfOrderDataWaitsForTheGap() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 1000);
        assertEquals(0, b.receive(IDSN + 6, "world".getBytes(), 0, 5));
        assertEquals(IDSN + 1, b.dataAck());
        assertEquals(5, b.outOfOrderBytes());
        assertEquals(10, b.receive(IDSN + 1, "hello".getBytes(), 0, 5));
        assertEquals(IDSN + 11, b.dataAck());
        byte[] out = new byte[10];
        b.read(out, 0, 10);
        assertEquals("helloworld", new String(out));
    }

    @Test
    void windowNeverShrinksAndOnlyDataFarBeyondItIsDropped() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 10);
        assertEquals(10, b.window());
        long edge = b.rightEdge();
        // 8 bytes arrive and are not read: the free space is 2, but the right edge stays put.
        b.receive(IDSN + 1, new byte[8], 0, 8);
        assertEquals(2, b.window());
        assertEquals(edge, b.rightEdge());
        // 4 bytes, 2 of them past the edge: a subflow acknowledged them, so they are kept.
        assertEquals(4, b.receive(IDSN + 9, new byte[4], 0, 4));
        assertEquals(0, b.beyondWindowBytes());
        assertEquals(0, b.window());
        // Past one more buffer's worth beyond the edge, data is dropped and counted.
        assertEquals(0, b.receive(IDSN + 23, new byte[4], 0, 4), "the right edge is now 12, the hard limit 22");
        assertEquals(4, b.beyondWindowBytes());
        b.read(new byte[12], 0, 12);
        assertEquals(10, b.window());
    }

    @Test
    void dataFinIsAckedAfterAllDataBeforeIt() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 100);
        b.receiveDataFin(IDSN + 6);
        assertFalse(b.finReceived());
        b.receive(IDSN + 1, "hello".getBytes(), 0, 5);
        assertTrue(b.finReceived());
        assertEquals(IDSN + 7, b.dataAck(), "DATA_FIN takes one byte of sequence space");
        assertFalse(b.atEof());
        b.read(new byte[5], 0, 5);
        assertTrue(b.atEof());
    }

    @Test
    void outOfOrderDataPastTheRightEdgeIsCutThere() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 10);
        assertEquals(10, b.window());
        // out of order, 4 bytes of which 2 lie past the edge at 10: only the 2 inside are kept
        assertEquals(0, b.receive(IDSN + 1 + 8, new byte[] {1, 2, 3, 4}, 0, 4));
        assertEquals(2, b.outOfOrderBytes());
        assertEquals(2, b.beyondWindowBytes());
        // wholly past the edge and out of order: dropped
        assertEquals(0, b.receive(IDSN + 1 + 11, new byte[3], 0, 3));
        assertEquals(5, b.beyondWindowBytes());
        // the real bytes for those DSNs are not shadowed: in order, they fill up to the edge and beyond
        byte[] real = {9, 9, 9, 9, 9, 9, 9, 9, 7, 7, 7, 7};
        assertEquals(12, b.receive(IDSN + 1, real, 0, 12));
        byte[] out = new byte[12];
        b.read(out, 0, 12);
        assertArrayEquals(new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 7, 7}, out, "the first copy of 8 and 9 is kept");
    }

    @Test
    void outOfOrderDataBeyondItsLimitIsDroppedAndInOrderDataIsNot() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 1000, 10);
        b.receive(IDSN + 1 + 100, new byte[6], 0, 6);
        b.receive(IDSN + 1 + 200, new byte[6], 0, 6); // only 4 fit
        assertEquals(10, b.outOfOrderBytes());
        assertEquals(2, b.outOfOrderDropped());
        b.receive(IDSN + 1 + 300, new byte[1], 0, 1);
        assertEquals(3, b.outOfOrderDropped());
        // in order, any amount the window allows
        assertEquals(50, b.receive(IDSN + 1, new byte[50], 0, 50));
        assertEquals(10, b.outOfOrderBytes());
        assertEquals(3, b.outOfOrderDropped());
    }

    /**
     * Only new bytes count against the out-of-order limit: a piece that spans held data keeps the
     * new bytes on both sides of it while they fit (found by {@link #reassemblesAnyArrivalOrder}
     * with seed 110, size 1091: the overlap was counted as new, the fitting tail was dropped and,
     * with nothing sent again, never arrived).
     */
    @Test
    void overlapWithHeldDataDoesNotCountAgainstTheOutOfOrderLimit() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 1000, 10);
        b.receive(IDSN + 1 + 104, new byte[] {4, 5, 6, 7}, 0, 4);
        byte[] span = {1, 2, 3, 9, 9, 9, 9, 8, 9, 10};
        b.receive(IDSN + 1 + 101, span, 0, span.length); // 3 new, 4 held, 3 new: all 6 new fit
        assertEquals(10, b.outOfOrderBytes());
        assertEquals(0, b.outOfOrderDropped());
        assertEquals(4, b.duplicateBytes());
        b.receive(IDSN + 1 + 99, new byte[] {7, 7, 7}, 0, 3); // 2 new, no room: dropped, the overlap is a duplicate
        assertEquals(2, b.outOfOrderDropped());
        assertEquals(11, b.receive(IDSN + 1, new byte[101], 0, 101) - 100);
        byte[] out = new byte[111];
        assertEquals(111, b.read(out, 0, 111));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, java.util.Arrays.copyOfRange(out, 101, 111));
    }

    @Test
    void dataFinsThatContradictTheStreamAreIgnoredAndDataBeyondTheFinIsDropped() {
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, 100);
        b.receive(IDSN + 1 + 10, new byte[5], 0, 5); // out of order: 10..14
        assertFalse(b.receiveDataFin(IDSN + 1 + 12), "a DATA_FIN below data already held");
        assertEquals(1, b.finConflicts());
        assertTrue(b.receiveDataFin(IDSN + 1 + 20));
        assertTrue(b.receiveDataFin(IDSN + 1 + 20), "the same DATA_FIN again");
        assertFalse(b.receiveDataFin(IDSN + 1 + 30), "another DATA_FIN");
        assertEquals(2, b.finConflicts());
        assertEquals(0, b.receive(IDSN + 1 + 18, new byte[5], 0, 5)); // 18..22: cut at the FIN, 20
        assertEquals(3, b.finConflicts());
        assertEquals(20, b.receive(IDSN + 1, new byte[10], 0, 10) + b.receive(IDSN + 1 + 15, new byte[3], 0, 3));
        assertTrue(b.finReceived());
        assertEquals(IDSN + 1 + 21, b.dataAck());
        b.read(new byte[20], 0, 20);
        assertTrue(b.atEof());
        DataReceiveBuffer c = new DataReceiveBuffer(IDSN, 100);
        c.receive(IDSN + 1, new byte[10], 0, 10);
        assertFalse(c.receiveDataFin(IDSN + 1 + 5), "a DATA_FIN below data delivered in order");
    }

    /** Any split of a stream into overlapping, duplicated, reordered pieces reads back intact. */
    @Property(tries = 200)
    void reassemblesAnyArrivalOrder(@ForAll @IntRange(min = 1, max = 3000) int size,
                                    @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] stream = new byte[size];
        rnd.nextBytes(stream);
        List<int[]> pieces = new ArrayList<>();
        for (int at = 0; at < size; ) {
            int len = 1 + rnd.nextInt(200);
            int start = Math.max(0, at - rnd.nextInt(50)); // overlaps with earlier data
            pieces.add(new int[] {start, Math.min(size, at + len) - start});
            at += len;
        }
        for (int i = 0, n = pieces.size(); i < n / 3; i++) {
            pieces.add(pieces.get(rnd.nextInt(n))); // duplicates
        }
        Collections.shuffle(pieces, rnd);
        DataReceiveBuffer b = new DataReceiveBuffer(IDSN, size);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] tmp = new byte[512];
        for (int[] p : pieces) {
            b.receive(IDSN + 1 + p[0], stream, p[0], p[1]);
            int n;
            while ((n = b.read(tmp, 0, rnd.nextInt(tmp.length) + 1)) > 0) {
                got.write(tmp, 0, n);
            }
        }
        assertArrayEquals(stream, got.toByteArray());
        assertEquals(IDSN + 1 + size, b.dataAck());
        assertEquals(0, b.outOfOrderBytes());
    }
}
