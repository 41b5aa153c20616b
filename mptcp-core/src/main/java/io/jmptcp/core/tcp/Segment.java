package io.jmptcp.core.tcp;

import io.jmptcp.core.wire.TcpHeader;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A TCP segment as the engine sees it: the header record and a slice of payload. The engine does
 * not serialise; the runtime encodes the header with the wire codec. The payload array is shared,
 * never copied, and must not be modified by anyone once the segment exists.
 *
 * @param header the TCP header (ports, sequence numbers, flags, window, options)
 * @param data   the array that holds the payload (may be empty)
 * @param offset where the payload starts in {@code data}
 * @param length payload bytes
 */
public record Segment(TcpHeader header, byte[] data, int offset, int length) {
    private static final byte[] EMPTY = new byte[0];

    public Segment {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(data, "data");
        Objects.checkFromIndexSize(offset, length, data.length);
    }

    /** A segment without payload. */
    public static Segment of(TcpHeader header) {
        return new Segment(header, EMPTY, 0, 0);
    }

    /** Sequence space the segment occupies: payload plus one for SYN and one for FIN (RFC 9293 3.4). */
    public int seqLength() {
        int n = length;
        if (header.has(TcpHeader.SYN)) {
            n++;
        }
        if (header.has(TcpHeader.FIN)) {
            n++;
        }
        return n;
    }

    /** A read-only view of the payload, without copying. */
    public ByteBuffer payload() {
        return ByteBuffer.wrap(data, offset, length).slice().asReadOnlyBuffer();
    }

    /** Total length of the options in bytes, padded to a multiple of 4 as on the wire. */
    public int optionsLength() {
        int n = 0;
        for (var o : header.options()) {
            n += o.length();
        }
        return (n + 3) & ~3;
    }

    @Override
    public String toString() {
        TcpHeader h = header;
        return "[" + TcpHeader.flagLetters(h.flags()) + " seq=" + Integer.toUnsignedString(h.seq())
                + " ack=" + Integer.toUnsignedString(h.ack()) + " win=" + h.window() + " len=" + length
                + " opts=" + h.options() + "]";
    }
}
