package io.jmptcp.core.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Reassembly, SACK blocks and D-SACK of the receive side. */
class ReceiveBufferTest {

    /** Issue 12: a backlog of many segments, once read or polled, does not leave its big queue behind. */
    @Test
    void aDrainedBacklogGivesItsQueueBack() {
        for (boolean poll : new boolean[] {false, true}) {
            ReceiveBuffer rb = new ReceiveBuffer();
            rb.nxt = 1;
            for (int i = 0; i < 1000; i++) {
                byte[] seg = new byte[10]; // kept by reference, not copied
                seg[0] = (byte) i;
                assertEquals(10, rb.accept(1 + 10L * i, seg, 0, 10));
            }
            assertTrue(rb.readyPeak() >= 1000);
            byte[] out = new byte[10_000];
            int got = 0;
            while (rb.readyBytes() > 0) {
                if (poll) {
                    RecvChunk c = rb.poll(7);
                    System.arraycopy(c.data(), c.offset(), out, got, c.length());
                    got += c.length();
                } else {
                    got += rb.read(out, got, 333);
                }
            }
            assertEquals(10_000, got);
            assertEquals(0, rb.readyPeak());
            for (int i = 0; i < 1000; i++) {
                assertEquals((byte) i, out[10 * i]);
            }
        }
    }

    /** Any arrival order with duplicates and overlaps reassembles the original stream. */
    @Property(tries = 200)
    void reassemblesAnyOrder(@ForAll long seed, @ForAll @IntRange(min = 1, max = 200) int pieces) {
        Random rnd = new Random(seed);
        int len = pieces * 50;
        byte[] stream = new byte[len];
        rnd.nextBytes(stream);
        List<int[]> segs = new ArrayList<>();
        int pos = 0;
        while (pos < len) {
            int n = Math.min(len - pos, 1 + rnd.nextInt(120));
            segs.add(new int[]{pos, n});
            pos += n;
        }
        // Duplicates and overlapping retransmissions.
        int extra = rnd.nextInt(segs.size() + 1);
        for (int i = 0; i < extra; i++) {
            int s = rnd.nextInt(len);
            segs.add(new int[]{s, Math.min(len - s, 1 + rnd.nextInt(200))});
        }
        Collections.shuffle(segs, rnd);
        ReceiveBuffer rb = new ReceiveBuffer();
        rb.nxt = 1;
        long delivered = 0;
        long[] scratch = new long[8];
        for (int[] sg : segs) {
            delivered += rb.accept(1 + sg[0], stream, sg[0], sg[1]);
            int n = rb.sackBlocks(scratch, 4);
            for (int i = 0; i < n; i++) {
                assertTrue(scratch[2 * i] > rb.nxt && scratch[2 * i + 1] > scratch[2 * i], "SACK block above RCV.NXT");
            }
            assertEquals(rb.hasOutOfOrder(), n > 0);
        }
        assertEquals(len, delivered);
        assertEquals(len + 1, rb.nxt);
        assertFalse(rb.hasOutOfOrder());
        assertEquals(0, rb.outOfOrderBytes());
        byte[] out = new byte[len];
        assertEquals(len, rb.read(out, 0, len));
        assertArrayEquals(stream, out);
    }

    @Test
    void sackBlocksAreMostRecentFirstAndDuplicatesAreReported() {
        byte[] d = new byte[1000];
        ReceiveBuffer rb = new ReceiveBuffer();
        rb.nxt = 1;
        rb.accept(101, d, 0, 100);   // [101,201)
        rb.accept(301, d, 0, 100);   // [301,401)
        rb.accept(501, d, 0, 100);   // [501,601)
        long[] b = new long[8];
        assertEquals(3, rb.sackBlocks(b, 4));
        assertEquals(501, b[0]);
        assertEquals(301, b[2]);
        assertEquals(101, b[4]);
        rb.accept(201, d, 0, 100);   // joins the first two: [101,401) becomes most recent
        assertEquals(2, rb.sackBlocks(b, 4));
        assertEquals(101, b[0]);
        assertEquals(401, b[1]);
        assertFalse(rb.hasDsack());
        rb.accept(151, d, 0, 20);    // all duplicate
        assertTrue(rb.hasDsack());
        assertEquals(151, rb.dsackLeft);
        assertEquals(171, rb.dsackRight);
        rb.clearDsack();
        assertEquals(400, rb.accept(1, d, 0, 100), "fills [1,101) and pulls [101,401), up to the gap at 401");
        assertEquals(1, rb.sackBlocks(b, 4));
        assertEquals(501, b[0]);
    }
}
