package io.jmptcp.core.wire;

import java.nio.ByteBuffer;

/**
 * A zero-copy view of the IPv6 fixed header (RFC 8200 section 3) at an absolute offset of a
 * {@link ByteBuffer}. Field access neither allocates nor moves the buffer's position; no
 * validation (see {@link Ipv4Packet}). Extension headers are walked by {@link IpPacketCodec#parse}.
 *
 * <pre>
 *  0-3    version(4) traffic class(8) flow label(20)
 *  4-5    payload length     6 next header     7 hop limit
 *  8-23   source address     24-39 destination address
 * </pre>
 */
public final class Ipv6Packet {
    public static final int VERSION_CLASS_FLOW = 0;
    public static final int PAYLOAD_LENGTH = 4;
    public static final int NEXT_HEADER = 6;
    public static final int HOP_LIMIT = 7;
    public static final int SRC_ADDR = 8;
    public static final int DST_ADDR = 24;
    public static final int HEADER_LENGTH = 40;

    /** Next-header values walked by the parser (RFC 8200 section 4, RFC 4302, RFC 4303). */
    public static final int NH_HOP_BY_HOP = 0;
    public static final int NH_TCP = 6;
    public static final int NH_ROUTING = 43;
    public static final int NH_FRAGMENT = 44;
    public static final int NH_ESP = 50;
    public static final int NH_AH = 51;
    public static final int NH_NONE = 59;
    public static final int NH_DEST_OPTS = 60;

    private ByteBuffer buf;
    private int off;

    public Ipv6Packet(ByteBuffer buf, int offset) {
        wrap(buf, offset);
    }

    /** Rebinds this view to another packet; returns this. */
    public Ipv6Packet wrap(ByteBuffer buf, int offset) {
        this.buf = buf;
        this.off = offset;
        return this;
    }

    public ByteBuffer buffer() { return buf; }

    public int offset() { return off; }

    public int version() { return Bytes.u8(buf, off) >>> 4; }

    public int trafficClass() { return (Bytes.i32(buf, off) >>> 20) & 0xff; }

    public int flowLabel() { return Bytes.i32(buf, off) & 0xfffff; }

    public int payloadLength() { return Bytes.u16(buf, off + PAYLOAD_LENGTH); }

    public int nextHeader() { return Bytes.u8(buf, off + NEXT_HEADER); }

    public int hopLimit() { return Bytes.u8(buf, off + HOP_LIMIT); }

    /** High and low 64 bits of the source and destination addresses. */
    public long srcAddrHigh() { return Bytes.i64(buf, off + SRC_ADDR); }

    public long srcAddrLow() { return Bytes.i64(buf, off + SRC_ADDR + 8); }

    public long dstAddrHigh() { return Bytes.i64(buf, off + DST_ADDR); }

    public long dstAddrLow() { return Bytes.i64(buf, off + DST_ADDR + 8); }

    /** Absolute index of the first byte after the fixed header. */
    public int payloadOffset() { return off + HEADER_LENGTH; }

    /**
     * The upper-layer pseudo-header sum (RFC 8200 section 8.1) for an upper-layer packet of
     * {@code upperLength} bytes with next-header value {@code nextHeader} (the final one, after
     * any extension headers).
     */
    public int pseudoHeaderSum(int nextHeader, int upperLength) {
        return Checksum.pseudoIpv6(buf, off + SRC_ADDR, off + DST_ADDR, nextHeader, upperLength);
    }

    // ---- setters ---------------------------------------------------------------------------

    /** Sets version 6, the traffic class and the flow label. */
    public Ipv6Packet setVersionClassFlow(int trafficClass, int flowLabel) {
        Bytes.put32(buf, off, (6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff));
        return this;
    }

    public Ipv6Packet setPayloadLength(int v) { Bytes.put16(buf, off + PAYLOAD_LENGTH, v); return this; }

    public Ipv6Packet setNextHeader(int v) { Bytes.put8(buf, off + NEXT_HEADER, v); return this; }

    public Ipv6Packet setHopLimit(int v) { Bytes.put8(buf, off + HOP_LIMIT, v); return this; }

    public Ipv6Packet setSrcAddr(long high, long low) {
        Bytes.put64(buf, off + SRC_ADDR, high);
        Bytes.put64(buf, off + SRC_ADDR + 8, low);
        return this;
    }

    public Ipv6Packet setDstAddr(long high, long low) {
        Bytes.put64(buf, off + DST_ADDR, high);
        Bytes.put64(buf, off + DST_ADDR + 8, low);
        return this;
    }
}
