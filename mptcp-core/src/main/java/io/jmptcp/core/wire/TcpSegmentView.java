package io.jmptcp.core.wire;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A zero-copy view of a TCP header (RFC 9293 section 3.1) at an absolute offset of a
 * {@link ByteBuffer}. Field access neither allocates nor moves the buffer's position; no
 * validation (see {@link Ipv4Packet}). {@link #options()} and {@link #toHeader()} parse the option
 * area into records (they allocate).
 *
 * <pre>
 *  0-1 source port   2-3 destination port   4-7 sequence number   8-11 acknowledgment number
 *  12  data offset(4) reserved(4)   13 flags CWR ECE URG ACK PSH RST SYN FIN
 *  14-15 window      16-17 checksum         18-19 urgent pointer  20.. options
 * </pre>
 */
public final class TcpSegmentView {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int SEQ = 4;
    public static final int ACK = 8;
    public static final int DATA_OFFSET = 12;
    public static final int FLAGS = 13;
    public static final int WINDOW = 14;
    public static final int CHECKSUM = 16;
    public static final int URGENT = 18;
    public static final int OPTIONS = 20;

    private ByteBuffer buf;
    private int off;

    public TcpSegmentView(ByteBuffer buf, int offset) {
        wrap(buf, offset);
    }

    /** Rebinds this view to another segment; returns this. */
    public TcpSegmentView wrap(ByteBuffer buf, int offset) {
        this.buf = buf;
        this.off = offset;
        return this;
    }

    public ByteBuffer buffer() { return buf; }

    public int offset() { return off; }

    public int srcPort() { return Bytes.u16(buf, off + SRC_PORT); }

    public int dstPort() { return Bytes.u16(buf, off + DST_PORT); }

    public int seq() { return Bytes.i32(buf, off + SEQ); }

    public int ack() { return Bytes.i32(buf, off + ACK); }

    /** Data offset in 32-bit words. */
    public int dataOffset() { return Bytes.u8(buf, off + DATA_OFFSET) >>> 4; }

    public int headerLength() { return dataOffset() * 4; }

    /** The flags byte (see the {@link TcpHeader} constants). */
    public int flags() { return Bytes.u8(buf, off + FLAGS); }

    public int window() { return Bytes.u16(buf, off + WINDOW); }

    public int checksum() { return Bytes.u16(buf, off + CHECKSUM); }

    public int urgentPointer() { return Bytes.u16(buf, off + URGENT); }

    /** The parsed option area (allocates). */
    public List<TcpOption> options() {
        return TcpOptionCodec.parse(buf, off + OPTIONS, headerLength() - OPTIONS);
    }

    /** The header as a record, options parsed (allocates). */
    public TcpHeader toHeader() {
        return new TcpHeader(srcPort(), dstPort(), seq(), ack(), flags(), window(), checksum(),
                urgentPointer(), options());
    }

    // ---- setters ---------------------------------------------------------------------------

    public TcpSegmentView setSrcPort(int v) { Bytes.put16(buf, off + SRC_PORT, v); return this; }

    public TcpSegmentView setDstPort(int v) { Bytes.put16(buf, off + DST_PORT, v); return this; }

    public TcpSegmentView setSeq(int v) { Bytes.put32(buf, off + SEQ, v); return this; }

    public TcpSegmentView setAck(int v) { Bytes.put32(buf, off + ACK, v); return this; }

    /** Sets the data offset for a header of {@code headerLength} bytes (reserved bits zero). */
    public TcpSegmentView setHeaderLength(int headerLength) {
        Bytes.put8(buf, off + DATA_OFFSET, (headerLength / 4) << 4);
        return this;
    }

    public TcpSegmentView setFlags(int v) { Bytes.put8(buf, off + FLAGS, v); return this; }

    public TcpSegmentView setWindow(int v) { Bytes.put16(buf, off + WINDOW, v); return this; }

    public TcpSegmentView setChecksum(int v) { Bytes.put16(buf, off + CHECKSUM, v); return this; }

    public TcpSegmentView setUrgentPointer(int v) { Bytes.put16(buf, off + URGENT, v); return this; }

    /**
     * Writes {@code header} (fields, then its options via {@link TcpOptionCodec#emitAll}, NOP
     * padded) at this view's offset with a zero checksum, and returns the header length. The
     * record's checksum field is not written; compute it once the payload is in place.
     *
     * @throws IllegalArgumentException if the padded options exceed 40 bytes
     */
    public int writeHeader(TcpHeader header) {
        int optLen = TcpOptionCodec.paddedLength(header.options());
        if (optLen > TcpHeader.MAX_OPTIONS_LENGTH) {
            throw new IllegalArgumentException("TCP options take " + optLen + " bytes, at most 40 fit");
        }
        int hlen = OPTIONS + optLen;
        setSrcPort(header.srcPort()).setDstPort(header.dstPort()).setSeq(header.seq())
                .setAck(header.ack()).setHeaderLength(hlen).setFlags(header.flags())
                .setWindow(header.window()).setChecksum(0).setUrgentPointer(header.urgentPointer());
        if (optLen > 0) {
            int saved = buf.position();
            buf.position(off + OPTIONS);
            try {
                TcpOptionCodec.emitAll(header.options(), buf);
            } finally {
                buf.position(saved);
            }
        }
        return hlen;
    }
}
