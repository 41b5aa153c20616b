package io.jmptcp.core.tcp;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Bytes written by the application and not yet sent, as chunks whose boundaries no segment crosses
 * (an MPTCP chunk is one DSS mapping, repeated on each of its segments). Untagged writes append into the last untagged chunk while
 * it has room, so plain TCP still fills full segments. Each byte is copied once, here, or not at
 * all for a tagged chunk handed over whole ({@link #append}).
 *
 * <p>An untagged chunk is sized to the write (at least {@link #MIN_CHUNK}) while everything before
 * it has been sent, and twice the previous one, up to the full chunk size, while the application is
 * ahead of the network: a bulk sender gets full chunks after a few, and a connection that writes a
 * byte now and then holds 2 KiB, not 64 KiB (issue 12). A big chunk left alone once all of it is
 * sent is dropped rather than kept for appends.
 */
final class SendQueue {
    static final class Chunk {
        final byte[] data;
        int limit;        // bytes written into data
        int sent;         // bytes already handed to segments
        final Object tag;
        final boolean tagged;

        Chunk(byte[] data, int limit, Object tag, boolean tagged) {
            this.data = data;
            this.limit = limit;
            this.tag = tag;
            this.tagged = tagged;
        }
    }

    private final ArrayDeque<Chunk> chunks = new ArrayDeque<>(4); // small while idle (issue 12)
    private long unsentBytes;
    private int untaggedChunkSize = 64 * 1024;
    /** The smallest untagged chunk; one this small is kept for appends when all of it is sent. */
    static final int MIN_CHUNK = 2048;

    void setUntaggedChunkSize(int n) {
        untaggedChunkSize = n;
    }

    long unsent() {
        return unsentBytes;
    }

    /** Appends up to {@code max} untagged bytes from {@code src}; returns how many. */
    int write(ByteBuffer src, int max) {
        int n = Math.min(src.remaining(), max);
        if (n <= 0) {
            return 0;
        }
        int done = 0;
        Chunk last = chunks.peekLast();
        if (last != null && !last.tagged && last.limit < last.data.length) {
            int k = Math.min(n, last.data.length - last.limit);
            src.get(last.data, last.limit, k);
            last.limit += k;
            done = k;
        }
        while (done < n) {
            int size = newChunkSize(n - done, chunks.peekLast());
            int k = Math.min(n - done, size);
            byte[] a = new byte[size];
            src.get(a, 0, k);
            chunks.addLast(new Chunk(a, k, null, false));
            done += k;
        }
        unsentBytes += done;
        return done;
    }

    /**
     * Appends {@code data} as one tagged chunk, kept as it is (not copied) when it fits in
     * {@code max}; otherwise its first {@code max} bytes are copied. Returns how many were taken.
     */
    int append(byte[] data, int max, Object tag) {
        int n = Math.min(data.length, max);
        if (n <= 0) {
            return 0;
        }
        chunks.addLast(new Chunk(n == data.length ? data : java.util.Arrays.copyOf(data, n), n, tag, true));
        unsentBytes += n;
        return n;
    }

    private int newChunkSize(int want, Chunk last) {
        int size = Math.max(want, MIN_CHUNK);
        if (last != null && !last.tagged && last.sent < last.limit) {
            size = Math.max(size, 2 * last.data.length); // the writer is ahead: towards full chunks
        }
        return Math.min(size, Math.max(untaggedChunkSize, MIN_CHUNK));
    }

    /** Bytes of the arrays the queue holds now (sent bytes' arrays may also be held for retransmission). */
    long allocated() {
        long a = 0;
        for (Chunk c : chunks) {
            a += c.data.length;
        }
        return a;
    }

    /** Chunks held now. */
    int chunkCount() {
        return chunks.size();
    }

    /** The chunk holding the next unsent byte, or null. */
    Chunk head() {
        while (true) {
            Chunk c = chunks.peekFirst();
            if (c == null) {
                return null;
            }
            if (c.sent < c.limit) {
                return c;
            }
            if (chunks.size() == 1) {
                return null;
            }
            chunks.pollFirst();
        }
    }

    /** Whether other chunks follow the head (a short tail of the head must then be sent as is). */
    boolean moreAfterHead() {
        return chunks.size() > 1;
    }

    /** Marks {@code n} bytes of the head chunk as sent. */
    void consume(int n) {
        Chunk c = chunks.peekFirst();
        c.sent += n;
        unsentBytes -= n;
        if (c.sent == c.limit && (c.tagged || chunks.size() > 1 || c.limit == c.data.length
                || c.data.length > MIN_CHUNK)) {
            chunks.pollFirst();
        }
    }
}
