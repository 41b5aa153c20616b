package io.jmptcp.tun;

import io.jmptcp.core.wire.Checksum;
import java.nio.ByteBuffer;

/**
 * Field access and checksums for the IPv4/IPv6 + TCP packets that {@link GsoSplitter} and
 * {@link TcpCoalescer} rewrite. Absolute indexes, network byte order whatever the buffer's order,
 * no allocation.
 */
final class IpTcp {
    static final int PROTO_TCP = 6;
    static final int IPV6_HEADER = 40;
    static final int TCP_FIN = 0x01;
    static final int TCP_SYN = 0x02;
    static final int TCP_RST = 0x04;
    static final int TCP_PSH = 0x08;
    static final int TCP_ACK = 0x10;
    static final int TCP_URG = 0x20;
    static final int TCP_CWR = 0x80;
    /** TCP header: offset of the flags byte, of the checksum. */
    static final int TCP_FLAGS = 13;
    static final int TCP_CHECKSUM = 16;

    private IpTcp() {
    }

    static int u8(ByteBuffer b, int i) {
        return b.get(i) & 0xff;
    }

    static int u16(ByteBuffer b, int i) {
        return (b.get(i) & 0xff) << 8 | (b.get(i + 1) & 0xff);
    }

    static int i32(ByteBuffer b, int i) {
        return u16(b, i) << 16 | u16(b, i + 2);
    }

    static void put16(ByteBuffer b, int i, int v) {
        b.put(i, (byte) (v >>> 8));
        b.put(i + 1, (byte) v);
    }

    static void put32(ByteBuffer b, int i, int v) {
        put16(b, i, v >>> 16);
        put16(b, i + 2, v);
    }

    /**
     * The length of the IP header (IPv4 with options, IPv6 fixed header only) of a TCP packet at
     * {@code ip}, or -1 when it is not a TCP packet this code handles.
     */
    static int ipHeaderLength(ByteBuffer b, int ip, int length) {
        if (length < 1) {
            return -1;
        }
        int version = u8(b, ip) >>> 4;
        if (version == 4) {
            int ihl = (u8(b, ip) & 0xf) * 4;
            return ihl >= 20 && length >= ihl && u8(b, ip + 9) == PROTO_TCP ? ihl : -1;
        }
        if (version == 6) {
            return length >= IPV6_HEADER && u8(b, ip + 6) == PROTO_TCP ? IPV6_HEADER : -1;
        }
        return -1;
    }

    static boolean isIpv4(ByteBuffer b, int ip) {
        return u8(b, ip) >>> 4 == 4;
    }

    /** The pseudo-header sum (folded, not complemented) for a TCP segment of {@code tcpLength} bytes. */
    static int pseudoHeader(ByteBuffer b, int ip, int tcpLength) {
        if (isIpv4(b, ip)) {
            return Checksum.pseudoIpv4(i32(b, ip + 12), i32(b, ip + 16), PROTO_TCP, tcpLength);
        }
        return Checksum.pseudoIpv6(b, ip + 8, ip + 24, PROTO_TCP, tcpLength);
    }

    /** Sets the IP length field for a packet of {@code total} bytes and, for IPv4, its header checksum. */
    static void setIpLength(ByteBuffer b, int ip, int ipHeaderLength, int total) {
        if (isIpv4(b, ip)) {
            put16(b, ip + 2, total);
            put16(b, ip + 10, Checksum.ipv4Header(b, ip, ipHeaderLength));
        } else {
            put16(b, ip + 4, total - IPV6_HEADER);
        }
    }

    /** Fills the complete TCP checksum of the segment at {@code tcp} of {@code tcpLength} bytes. */
    static void fillTcpChecksum(ByteBuffer b, int ip, int tcp, int tcpLength) {
        put16(b, tcp + TCP_CHECKSUM, Checksum.tcp(pseudoHeader(b, ip, tcpLength), b, tcp, tcpLength));
    }
}
