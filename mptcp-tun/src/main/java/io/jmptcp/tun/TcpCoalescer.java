package io.jmptcp.tun;

import static io.jmptcp.tun.IpTcp.TCP_ACK;
import static io.jmptcp.tun.IpTcp.TCP_CHECKSUM;
import static io.jmptcp.tun.IpTcp.TCP_CWR;
import static io.jmptcp.tun.IpTcp.TCP_FIN;
import static io.jmptcp.tun.IpTcp.TCP_FLAGS;
import static io.jmptcp.tun.IpTcp.TCP_PSH;
import static io.jmptcp.tun.IpTcp.TCP_RST;
import static io.jmptcp.tun.IpTcp.TCP_SYN;
import static io.jmptcp.tun.IpTcp.TCP_URG;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Joins consecutive outbound TCP segments of one flow into a super-segment written to the TUN
 * device as one packet with a virtio header (gso_type TCPV4/TCPV6, gso_size = the first
 * segment's payload), which the kernel cuts back into the same segments (tcp_gso_segment) only
 * where it has to, so one write(2) carries up to 64 KiB instead of one MTU.
 *
 * <p>A segment joins the pending run when it is the next in sequence of the same flow and would
 * come back from the kernel's segmentation unchanged: the same IP and TCP header bytes except
 * lengths, checksums, sequence number and IPv4 identification (which must be the next one, or
 * free to change because DF makes the datagram atomic, RFC 6864); the same flags, except that PSH
 * and FIN may only be on the last segment and CWR only on the first; a payload no larger than the
 * first one's, and only the last smaller. TCP options must be byte for byte equal, so a segment
 * whose options change (a new timestamp, a new DATA_ACK, the next chunk's DSS mapping) starts a new
 * run. MPTCP segments join because the stack repeats one mapping on every segment of a chunk.
 *
 * <p>Every packet, joined or not, goes out with a virtio header, so this is the only writer of
 * an {@code IFF_VNET_HDR} device. Not thread-safe: one writer thread. Allocates nothing per packet.
 */
final class TcpCoalescer {
    /** Where finished frames (virtio header + packet, position to limit) go. */
    @FunctionalInterface
    interface Sink {
        void write(ByteBuffer frame) throws IOException;
    }

    private static final int MAX_PACKET = 65535;
    private static final int PACKET = VirtioNetHdr.LENGTH;

    private final ByteBuffer buf = ByteBuffer.allocateDirect(VirtioNetHdr.LENGTH + MAX_PACKET);
    private final VirtioNetHdr hdr = new VirtioNetHdr();
    private final int maxSegments;
    private final boolean enabled;
    /** Segments in the pending run (0: none). */
    private int count;
    /** Bytes of the pending packet (from index {@link #PACKET}). */
    private int length;
    private int ipHdr;
    private int tcpOff;
    private int hdrLen;
    private int gsoSize;
    private int nextSeq;
    private int flags0;
    private boolean dontFragment;
    private int id0;
    /** The last segment was short or had PSH/FIN: nothing can follow it in this run. */
    private boolean closed;
    private long frames;
    private long joined;

    /**
     * @param maxSegments most segments in one super-segment
     * @param enabled     false: every packet is written alone (with a plain virtio header)
     */
    TcpCoalescer(int maxSegments, boolean enabled) {
        if (maxSegments < 1) {
            throw new IllegalArgumentException("maxSegments must be at least 1");
        }
        this.maxSegments = maxSegments;
        this.enabled = enabled;
    }

    /** Takes the packet from position to limit (unchanged; the bytes are copied). */
    void add(ByteBuffer p, Sink out) throws IOException {
        int at = p.position();
        int len = p.remaining();
        if (count > 0 && joins(p, at, len)) {
            append(p, at, len);
            return;
        }
        flush(out);
        if (len > MAX_PACKET) {
            return; // no IP packet is that long; a NIC would drop it too
        }
        buf.put(PACKET, p, at, len);
        length = len;
        if (!enabled || !startsRun(len)) {
            count = 1;
            flush(out);
            return;
        }
        count = 1;
    }

    /** Writes the pending run, if any. */
    void flush(Sink out) throws IOException {
        if (count == 0) {
            return;
        }
        if (count == 1) {
            hdr.none();
        } else {
            IpTcp.setIpLength(buf, PACKET, ipHdr, length);
            int tcp = PACKET + tcpOff;
            // NEEDS_CSUM: the field holds the pseudo-header sum over the whole TCP length, folded
            // and not complemented (as the kernel's own TSO path leaves it, __tcp_v4_send_check);
            // tcp_gso_segment adjusts it for each piece's length.
            IpTcp.put16(buf, tcp + TCP_CHECKSUM, IpTcp.pseudoHeader(buf, PACKET, length - tcpOff));
            hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
            hdr.gsoType = (ipHdr == IpTcp.IPV6_HEADER && !IpTcp.isIpv4(buf, PACKET)
                    ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4)
                    | ((flags0 & TCP_CWR) != 0 ? VirtioNetHdr.GSO_ECN : 0);
            hdr.hdrLen = hdrLen;
            hdr.gsoSize = gsoSize;
            hdr.csumStart = tcpOff;
            hdr.csumOffset = TCP_CHECKSUM;
            joined += count;
        }
        hdr.encode(buf, 0);
        buf.limit(PACKET + length).position(0);
        count = 0;
        frames++;
        try {
            out.write(buf);
        } finally {
            buf.clear();
        }
    }

    /** Frames written (joined or single). */
    long frames() {
        return frames;
    }

    /** Segments that went out inside super-segments of two or more. */
    long joinedSegments() {
        return joined;
    }

    /** Whether the packet just copied to the buffer can begin a run; if so records its fields. */
    private boolean startsRun(int len) {
        int ih = IpTcp.ipHeaderLength(buf, PACKET, len);
        if (ih < 0 || len < ih + 20) {
            return false;
        }
        boolean v4 = IpTcp.isIpv4(buf, PACKET);
        if (v4) {
            int frag = IpTcp.u16(buf, PACKET + 6);
            if ((frag & 0x3fff) != 0 || IpTcp.u16(buf, PACKET + 2) != len) {
                return false; // a fragment, or padding after the datagram
            }
            dontFragment = (frag & 0x4000) != 0;
            id0 = IpTcp.u16(buf, PACKET + 4);
        } else if (IpTcp.u16(buf, PACKET + 4) + IpTcp.IPV6_HEADER != len) {
            return false;
        }
        int doff = (IpTcp.u8(buf, PACKET + ih + 12) >>> 4) * 4;
        int f = IpTcp.u8(buf, PACKET + ih + TCP_FLAGS);
        if (doff < 20 || ih + doff >= len || (f & TCP_ACK) == 0 || (f & (TCP_SYN | TCP_RST | TCP_URG)) != 0) {
            return false; // no payload, or a segment the kernel's segmentation would not reproduce
        }
        ipHdr = ih;
        tcpOff = ih;
        hdrLen = ih + doff;
        gsoSize = len - hdrLen;
        nextSeq = IpTcp.i32(buf, PACKET + ih + 4) + gsoSize;
        flags0 = f;
        closed = (f & (TCP_PSH | TCP_FIN)) != 0;
        return true;
    }

    private boolean joins(ByteBuffer p, int at, int len) {
        if (closed || count >= maxSegments || len <= hdrLen) {
            return false;
        }
        int payload = len - hdrLen;
        if (payload > gsoSize || length + payload > MAX_PACKET) {
            return false;
        }
        if (IpTcp.ipHeaderLength(p, at, len) != ipHdr || IpTcp.isIpv4(p, at) != IpTcp.isIpv4(buf, PACKET)) {
            return false;
        }
        if (IpTcp.isIpv4(p, at)) {
            if (IpTcp.u16(p, at + 2) != len
                    || !same(p, at, 0, 2) || !same(p, at, 6, 4) || !same(p, at, 12, ipHdr - 12)) {
                return false;
            }
            if (!dontFragment && IpTcp.u16(p, at + 4) != ((id0 + count) & 0xffff)) {
                return false;
            }
        } else if (IpTcp.u16(p, at + 4) + IpTcp.IPV6_HEADER != len || !same(p, at, 0, 4) || !same(p, at, 6, 34)) {
            return false;
        }
        int t = tcpOff;
        int f = IpTcp.u8(p, at + t + TCP_FLAGS);
        if ((f & ~(TCP_PSH | TCP_FIN)) != (flags0 & ~TCP_CWR)) {
            return false;
        }
        return IpTcp.i32(p, at + t + 4) == nextSeq
                && same(p, at, t, 4) && same(p, at, t + 8, 5) && same(p, at, t + 14, 2)
                && same(p, at, t + 18, hdrLen - t - 18);
    }

    private boolean same(ByteBuffer p, int at, int from, int n) {
        for (int i = 0; i < n; i++) {
            if (p.get(at + from + i) != buf.get(PACKET + from + i)) {
                return false;
            }
        }
        return true;
    }

    private void append(ByteBuffer p, int at, int len) {
        int payload = len - hdrLen;
        buf.put(PACKET + length, p, at + hdrLen, payload);
        length += payload;
        count++;
        nextSeq += payload;
        int f = IpTcp.u8(p, at + tcpOff + TCP_FLAGS);
        if (payload < gsoSize || (f & (TCP_PSH | TCP_FIN)) != 0) {
            closed = true;
        }
        buf.put(PACKET + tcpOff + TCP_FLAGS, (byte) (flags0 | (f & (TCP_PSH | TCP_FIN))));
    }
}
