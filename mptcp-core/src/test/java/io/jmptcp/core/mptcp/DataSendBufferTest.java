package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DataSendBufferTest {
    private static final long IDSN = -5; // the first DSN is IDSN + 1 = 2^64 - 4: the space wraps soon

    @Test
    void dataIsFreedOnlyByDataAck() {
        DataSendBuffer b = new DataSendBuffer(IDSN, 8);
        assertEquals(8, b.write("abcdefghij".getBytes(), 0, 10), "only the capacity is taken");
        assertEquals(0, b.free());
        assertEquals(0, b.ack(IDSN + 1), "an ack of nothing frees nothing");
        assertEquals(0, b.ack(IDSN + 100), "an ack beyond what was written is ignored");
        assertEquals(3, b.ack(IDSN + 4));
        assertEquals(IDSN + 4, b.dataUna());
        byte[] out = new byte[5];
        b.copy(IDSN + 4, out, 0, 5);
        assertEquals("defgh", new String(out));
        assertThrows(IllegalArgumentException.class, () -> b.copy(IDSN + 1, out, 0, 1));
    }

    @Test
    void dataFinTakesOneSequenceNumber() {
        DataSendBuffer b = new DataSendBuffer(IDSN, 8);
        b.write("abc".getBytes(), 0, 3);
        b.close();
        assertEquals(IDSN + 4, b.dataEnd());
        b.ack(IDSN + 4);
        assertFalse(b.finAcked());
        b.ack(IDSN + 5);
        assertTrue(b.finAcked());
        assertThrows(IllegalStateException.class, () -> b.write(new byte[1], 0, 1));
    }

    /** Writing, acking and reading back at random positions across the ring's wrap keeps every byte. */
    @Property(tries = 100)
    void ringKeepsBytesAcrossWraps(@ForAll @IntRange(min = 1, max = 64) int capacity,
                                   @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] stream = new byte[2000];
        rnd.nextBytes(stream);
        DataSendBuffer b = new DataSendBuffer(IDSN, capacity);
        int written = 0;
        while (b.dataUna() - (IDSN + 1) < stream.length) {
            written += b.write(stream, written, Math.min(rnd.nextInt(capacity + 1), stream.length - written));
            long una = b.dataUna() - (IDSN + 1);
            int held = (int) b.held();
            if (held > 0) {
                int from = rnd.nextInt(held);
                int len = 1 + rnd.nextInt(held - from);
                byte[] got = new byte[len];
                b.copy(IDSN + 1 + una + from, got, 0, len);
                assertArrayEquals(Arrays.copyOfRange(stream, (int) una + from, (int) una + from + len), got);
                b.ack(IDSN + 1 + una + rnd.nextInt(held + 1));
            }
        }
        assertEquals(stream.length, written);
    }

    /** A connection in its handshake holds no send buffer; writing allocates as needed, up to the capacity. */
    @Test
    void ringIsAllocatedOnlyAsTheApplicationWrites() {
        DataSendBuffer b = new DataSendBuffer(IDSN, 4 << 20);
        assertEquals(0, b.allocated());
        assertEquals(4 << 20, b.free());
        b.write(new byte[100], 0, 100);
        assertEquals(DataSendBuffer.INITIAL_ALLOCATION, b.allocated());
        b.write(new byte[3000], 0, 3000); // 3,100 held: the next power of two
        assertEquals(4096, b.allocated());
        b.write(new byte[4 << 20], 0, 4 << 20);
        assertEquals(4 << 20, b.allocated());
        assertEquals(0, b.free());
    }

    /** The ring grows while it holds bytes that wrap around its end: every byte stays at its DSN. */
    @Property(tries = 30)
    void growingKeepsBytesAcrossWraps(@ForAll @IntRange(min = 20_000, max = 100_000) int capacity,
                                      @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] stream = new byte[300_000];
        rnd.nextBytes(stream);
        DataSendBuffer b = new DataSendBuffer(IDSN, capacity);
        int written = 0;
        while (b.dataUna() - (IDSN + 1) < stream.length) {
            written += b.write(stream, written, Math.min(rnd.nextInt(capacity / 3 + 1), stream.length - written));
            long una = b.dataUna() - (IDSN + 1);
            int held = (int) b.held();
            assertTrue(b.allocated() >= held && b.allocated() <= capacity);
            if (held > 0) {
                // The whole held range, so that bytes moved by a growth are all checked.
                byte[] got = new byte[held];
                b.copy(IDSN + 1 + una, got, 0, held);
                if (!Arrays.equals(stream, (int) una, (int) una + held, got, 0, held)) {
                    throw new AssertionError("held bytes differ at una " + una + " held " + held);
                }
                b.ack(IDSN + 1 + una + 1 + rnd.nextInt(Math.max(1, held / 2))); // always some progress
            }
        }
        assertEquals(stream.length, written);
    }
}
