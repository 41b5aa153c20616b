package io.jmptcp.core.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Untagged chunks: small for small writes (issue 12), full-size for a bulk sender, every byte in order. */
class SendQueueTest {
    static final int FULL = 44 * 1460;

    static SendQueue queue() {
        SendQueue q = new SendQueue();
        q.setUntaggedChunkSize(FULL);
        return q;
    }

    /** Sends everything queued as segments of at most {@code mss} bytes, as TcpConnection does. */
    static byte[] drain(SendQueue q, int mss) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (SendQueue.Chunk c = q.head(); c != null; c = q.head()) {
            int n = Math.min(mss, c.limit - c.sent);
            out.write(c.data, c.sent, n);
            q.consume(n);
        }
        return out.toByteArray();
    }

    @Test
    void aOneByteWriteDoesNotTakeAFullChunk() {
        SendQueue q = queue();
        assertEquals(1, q.write(ByteBuffer.wrap(new byte[] {42}), Integer.MAX_VALUE));
        assertEquals(SendQueue.MIN_CHUNK, q.allocated());
        assertArrayEquals(new byte[] {42}, drain(q, 1460));
        assertTrue(q.allocated() <= SendQueue.MIN_CHUNK, () -> "an idle queue holds " + q.allocated());
        // the small chunk left takes the next small write
        q.write(ByteBuffer.wrap(new byte[] {43}), Integer.MAX_VALUE);
        assertEquals(SendQueue.MIN_CHUNK, q.allocated());
        assertArrayEquals(new byte[] {43}, drain(q, 1460));
    }

    @Test
    void aBulkWriteGetsFullChunksAndLeavesNoneWhenSent() {
        SendQueue q = queue();
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        assertEquals(data.length, q.write(ByteBuffer.wrap(data), Integer.MAX_VALUE));
        assertEquals(FULL, q.head().data.length);
        assertEquals((data.length + FULL - 1) / FULL, q.chunkCount());
        assertArrayEquals(data, drain(q, 1460));
        assertEquals(0, q.allocated());
    }

    /** Small writes ahead of the network coalesce into chunks that double up to the full size. */
    @Test
    void smallWritesAheadOfTheNetworkGrowTheChunks() {
        SendQueue q = queue();
        Random rnd = new Random(2);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        for (int i = 0; i < 10_000; i++) {
            byte[] b = new byte[1 + rnd.nextInt(200)];
            rnd.nextBytes(b);
            written.write(b, 0, b.length);
            q.write(ByteBuffer.wrap(b), Integer.MAX_VALUE);
        }
        int total = written.size();
        // 2, 4, 8, 16, 32 KiB, then full chunks: a handful more than the full chunks alone
        assertTrue(q.chunkCount() <= total / FULL + 7, () -> q.chunkCount() + " chunks for " + total + " bytes");
        assertTrue(q.allocated() < 2L * total + FULL, () -> q.allocated() + " bytes for " + total);
        assertArrayEquals(written.toByteArray(), drain(q, 1460));
    }

    /** A tagged chunk handed over whole is kept, not copied; one larger than the room is cut (a copy). */
    @Test
    void aTaggedChunkThatFitsIsKeptAsItIs() {
        SendQueue q = queue();
        byte[] chunk = new byte[3000];
        new Random(7).nextBytes(chunk);
        Object tag = new Object();
        assertEquals(3000, q.append(chunk, 10_000, tag));
        SendQueue.Chunk head = q.head();
        assertTrue(head.data == chunk, "the caller's array, not a copy");
        assertTrue(head.tag == tag && head.tagged);
        assertEquals(3000, q.unsent());
        assertArrayEquals(chunk, drain(q, 1460));
        assertEquals(1000, q.append(chunk, 1000, tag));
        assertTrue(q.head().data != chunk && q.head().data.length == 1000, "cut to the room: a copy of the prefix");
        assertArrayEquals(java.util.Arrays.copyOf(chunk, 1000), drain(q, 1460));
        assertEquals(0, q.append(chunk, 0, tag));
    }
}
