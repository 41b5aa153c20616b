package io.jmptcp.core.wire;

import java.nio.ByteBuffer;

/**
 * A zero-copy view of an IPv4 header (RFC 791 section 3.1) at an absolute offset of a
 * {@link ByteBuffer}. Field access neither allocates nor moves the buffer's position. The view
 * does not validate: read fields only of a packet that {@link IpPacketCodec#parse} accepted, or
 * of one being built. {@link #wrap} rebinds the view so that one instance can serve every packet.
 *
 * <pre>
 *  0      version(4) IHL(4)     1 DSCP(6) ECN(2)    2-3 total length
 *  4-5    identification        6-7 flags(3) fragment offset(13)
 *  8      TTL                   9 protocol          10-11 header checksum
 *  12-15  source address        16-19 destination address      20.. options (IHL > 5)
 * </pre>
 */
public final class Ipv4Packet {
    public static final int VERSION_IHL = 0;
    public static final int TOS = 1;
    public static final int TOTAL_LENGTH = 2;
    public static final int IDENTIFICATION = 4;
    public static final int FLAGS_FRAGMENT = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECKSUM = 10;
    public static final int SRC_ADDR = 12;
    public static final int DST_ADDR = 16;
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_TOTAL_LENGTH = 0xffff;

    /** Flag bits of the 16-bit flags/fragment-offset word. */
    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    public static final int PROTOCOL_TCP = 6;

    private ByteBuffer buf;
    private int off;

    public Ipv4Packet(ByteBuffer buf, int offset) {
        wrap(buf, offset);
    }

    /** Rebinds this view to another packet; returns this. */
    public Ipv4Packet wrap(ByteBuffer buf, int offset) {
        this.buf = buf;
        this.off = offset;
        return this;
    }

    public ByteBuffer buffer() { return buf; }

    public int offset() { return off; }

    public int version() { return Bytes.u8(buf, off) >>> 4; }

    /** IHL in 32-bit words. */
    public int ihl() { return Bytes.u8(buf, off) & 0x0f; }

    public int headerLength() { return ihl() * 4; }

    public int tos() { return Bytes.u8(buf, off + TOS); }

    public int totalLength() { return Bytes.u16(buf, off + TOTAL_LENGTH); }

    public int identification() { return Bytes.u16(buf, off + IDENTIFICATION); }

    public int flagsAndFragment() { return Bytes.u16(buf, off + FLAGS_FRAGMENT); }

    public boolean dontFragment() { return (flagsAndFragment() & FLAG_DF) != 0; }

    public boolean moreFragments() { return (flagsAndFragment() & FLAG_MF) != 0; }

    /** Fragment offset in 8-byte units. */
    public int fragmentOffset() { return flagsAndFragment() & FRAGMENT_OFFSET_MASK; }

    public int ttl() { return Bytes.u8(buf, off + TTL); }

    public int protocol() { return Bytes.u8(buf, off + PROTOCOL); }

    public int checksum() { return Bytes.u16(buf, off + CHECKSUM); }

    /** The source address as a big-endian int. */
    public int srcAddr() { return Bytes.i32(buf, off + SRC_ADDR); }

    public int dstAddr() { return Bytes.i32(buf, off + DST_ADDR); }

    /** Absolute index of the first byte after the header. */
    public int payloadOffset() { return off + headerLength(); }

    public int payloadLength() { return totalLength() - headerLength(); }

    /** True when the stored header checksum is right. */
    public boolean checksumValid() {
        return Checksum.fold(Checksum.add(0, buf, off, headerLength())) == 0xffff;
    }

    /** The TCP pseudo-header sum for this packet's addresses and payload length (RFC 9293 3.1). */
    public int pseudoHeaderSum() {
        return Checksum.pseudoIpv4(srcAddr(), dstAddr(), protocol(), payloadLength());
    }

    // ---- setters ---------------------------------------------------------------------------

    /** Sets version 4 and the IHL for a header of {@code headerLength} bytes (a multiple of 4). */
    public Ipv4Packet setVersionAndHeaderLength(int headerLength) {
        Bytes.put8(buf, off, 0x40 | (headerLength / 4));
        return this;
    }

    public Ipv4Packet setTos(int tos) { Bytes.put8(buf, off + TOS, tos); return this; }

    public Ipv4Packet setTotalLength(int v) { Bytes.put16(buf, off + TOTAL_LENGTH, v); return this; }

    public Ipv4Packet setIdentification(int v) { Bytes.put16(buf, off + IDENTIFICATION, v); return this; }

    public Ipv4Packet setFlagsAndFragment(int v) { Bytes.put16(buf, off + FLAGS_FRAGMENT, v); return this; }

    public Ipv4Packet setTtl(int v) { Bytes.put8(buf, off + TTL, v); return this; }

    public Ipv4Packet setProtocol(int v) { Bytes.put8(buf, off + PROTOCOL, v); return this; }

    public Ipv4Packet setChecksum(int v) { Bytes.put16(buf, off + CHECKSUM, v); return this; }

    public Ipv4Packet setSrcAddr(int v) { Bytes.put32(buf, off + SRC_ADDR, v); return this; }

    public Ipv4Packet setDstAddr(int v) { Bytes.put32(buf, off + DST_ADDR, v); return this; }

    /** Computes and stores the header checksum. */
    public Ipv4Packet fillChecksum() {
        return setChecksum(Checksum.ipv4Header(buf, off, headerLength()));
    }
}
