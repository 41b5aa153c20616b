package io.jmptcp.core.wire;

import io.jmptcp.core.wire.PacketParse.Reason;
import io.jmptcp.core.wire.PacketParse.Rejected;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Whole IP packets carrying TCP: parse (IPv4 RFC 791, IPv6 RFC 8200 with its extension headers,
 * TCP RFC 9293) into a {@link PacketParse}, and emit an IPv4 or IPv6 + TCP packet with correct
 * checksums, ready for a TUN device.
 *
 * <p>Parsing never throws and never reads outside {@code [offset, offset + length)} for any
 * bytes; every problem is a {@link Rejected} with a {@link Reason} and a detail string. Emitting
 * allocates nothing beyond what the option records themselves need ({@link MptcpOption.AddAddr}
 * copies its address).
 */
public final class IpPacketCodec {

    private IpPacketCodec() {
    }

    // ---- parse -----------------------------------------------------------------------------

    /**
     * Parses the IP packet of (at most) {@code length} bytes at absolute index {@code offset}.
     *
     * @throws IndexOutOfBoundsException if the range lies outside the buffer (API misuse)
     */
    public static PacketParse parse(ByteBuffer buf, int offset, int length) {
        Bytes.checkRange(buf, offset, length);
        if (length < 1) {
            return reject(Reason.TRUNCATED, "empty packet");
        }
        int version = Bytes.u8(buf, offset) >>> 4;
        if (version == 4) {
            return parseIpv4(buf, offset, length);
        } else if (version == 6) {
            return parseIpv6(buf, offset, length);
        }
        return reject(Reason.BAD_VERSION, "IP version " + version);
    }

    /** RFC 791 section 3.1. Fragments are rejected: a TCP segment needs the whole datagram. */
    private static PacketParse parseIpv4(ByteBuffer buf, int off, int length) {
        if (length < Ipv4Packet.MIN_HEADER_LENGTH) {
            return reject(Reason.TRUNCATED, "IPv4 header needs 20 bytes, have " + length);
        }
        Ipv4Packet ip = new Ipv4Packet(buf, off);
        int hlen = ip.headerLength();
        if (hlen < Ipv4Packet.MIN_HEADER_LENGTH) {
            return reject(Reason.BAD_IHL, "IHL " + ip.ihl() + " < 5");
        }
        int total = ip.totalLength();
        if (total < hlen) {
            return reject(Reason.BAD_TOTAL_LENGTH, "total length " + total + " < header length " + hlen);
        }
        if (total > length) {
            return reject(Reason.TRUNCATED, "total length " + total + " > " + length + " bytes available");
        }
        if (ip.fragmentOffset() != 0) {
            return reject(Reason.FRAGMENT, "IPv4 non-first fragment, offset " + 8 * ip.fragmentOffset());
        }
        if (ip.moreFragments()) {
            return reject(Reason.FRAGMENT, "IPv4 first fragment (MF set), id " + ip.identification());
        }
        if (ip.protocol() != Ipv4Packet.PROTOCOL_TCP) {
            return reject(Reason.NOT_TCP, "IP protocol " + ip.protocol());
        }
        int tcpOff = off + hlen;
        int tcpLen = total - hlen;
        PacketParse tcp = checkTcp(buf, tcpOff, tcpLen);
        if (tcp != null) {
            return tcp;
        }
        boolean ipOk = ip.checksumValid();
        boolean tcpOk = Checksum.tcpValid(ip.pseudoHeaderSum(), buf, tcpOff, tcpLen);
        return tcpResult(buf, 4, Bytes.address(Bytes.copy(buf, off + Ipv4Packet.SRC_ADDR, 4)),
                Bytes.address(Bytes.copy(buf, off + Ipv4Packet.DST_ADDR, 4)), ip.ttl(), off,
                tcpOff, tcpLen, tcpOff, tcpLen, ipOk, tcpOk);
    }

    /**
     * RFC 8200 sections 3-4: walk hop-by-hop (first only), routing, destination options, AH
     * (RFC 4302: length in 4-byte units minus 2) and atomic fragment headers (RFC 6946) to TCP.
     */
    private static PacketParse parseIpv6(ByteBuffer buf, int off, int length) {
        if (length < Ipv6Packet.HEADER_LENGTH) {
            return reject(Reason.TRUNCATED, "IPv6 header needs 40 bytes, have " + length);
        }
        Ipv6Packet ip = new Ipv6Packet(buf, off);
        int plen = ip.payloadLength();
        if (Ipv6Packet.HEADER_LENGTH + plen > length) {
            return reject(Reason.TRUNCATED, "payload length " + plen + " > "
                    + (length - Ipv6Packet.HEADER_LENGTH) + " bytes available");
        }
        int end = off + Ipv6Packet.HEADER_LENGTH + plen;
        int p = off + Ipv6Packet.HEADER_LENGTH;
        int nh = ip.nextHeader();
        boolean first = true;
        while (nh != Ipv6Packet.NH_TCP) {
            if (nh == Ipv6Packet.NH_HOP_BY_HOP && !first) {
                return reject(Reason.BAD_EXTENSION_HEADER, "hop-by-hop options not first");
            }
            int extLen;
            switch (nh) {
                case Ipv6Packet.NH_HOP_BY_HOP:
                case Ipv6Packet.NH_ROUTING:
                case Ipv6Packet.NH_DEST_OPTS:
                    if (end - p < 2) {
                        return truncatedExt(nh);
                    }
                    extLen = (Bytes.u8(buf, p + 1) + 1) * 8;
                    break;
                case Ipv6Packet.NH_AH:
                    if (end - p < 2) {
                        return truncatedExt(nh);
                    }
                    extLen = (Bytes.u8(buf, p + 1) + 2) * 4;
                    break;
                case Ipv6Packet.NH_FRAGMENT: {
                    if (end - p < 8) {
                        return truncatedExt(nh);
                    }
                    int fo = Bytes.u16(buf, p + 2);
                    if ((fo >>> 3) != 0) {
                        return reject(Reason.FRAGMENT, "IPv6 non-first fragment, offset " + 8 * (fo >>> 3));
                    }
                    if ((fo & 1) != 0) {
                        return reject(Reason.FRAGMENT, "IPv6 first fragment (M set), id "
                                + Integer.toUnsignedString(Bytes.i32(buf, p + 4)));
                    }
                    extLen = 8; // an atomic fragment: the whole packet is here
                    break;
                }
                case Ipv6Packet.NH_ESP:
                    return reject(Reason.ENCRYPTED, "IPv6 ESP");
                case Ipv6Packet.NH_NONE:
                    return reject(Reason.NOT_TCP, "IPv6 no next header");
                default:
                    return reject(Reason.NOT_TCP, "IPv6 next header " + nh);
            }
            if (extLen > end - p) {
                return truncatedExt(nh);
            }
            nh = Bytes.u8(buf, p);
            p += extLen;
            first = false;
        }
        int tcpLen = end - p;
        PacketParse tcp = checkTcp(buf, p, tcpLen);
        if (tcp != null) {
            return tcp;
        }
        boolean tcpOk = Checksum.tcpValid(ip.pseudoHeaderSum(Ipv6Packet.NH_TCP, tcpLen), buf, p, tcpLen);
        return tcpResult(buf, 6, Bytes.address(Bytes.copy(buf, off + Ipv6Packet.SRC_ADDR, 16)),
                Bytes.address(Bytes.copy(buf, off + Ipv6Packet.DST_ADDR, 16)), ip.hopLimit(), off,
                off + Ipv6Packet.HEADER_LENGTH, end - off - Ipv6Packet.HEADER_LENGTH, p, tcpLen,
                true, tcpOk);
    }

    private static Rejected truncatedExt(int nh) {
        return reject(Reason.TRUNCATED, "IPv6 extension header " + nh + " runs past the payload");
    }

    /** RFC 9293 section 3.1: 20 fixed bytes and a data offset of 5..15 words within the segment. */
    private static Rejected checkTcp(ByteBuffer buf, int tcpOff, int tcpLen) {
        if (tcpLen < TcpHeader.MIN_LENGTH) {
            return reject(Reason.TRUNCATED, "TCP header needs 20 bytes, have " + tcpLen);
        }
        int doff = Bytes.u8(buf, tcpOff + TcpSegmentView.DATA_OFFSET) >>> 4;
        if (doff < 5) {
            return reject(Reason.BAD_DATA_OFFSET, "data offset " + doff + " < 5");
        }
        if (doff * 4 > tcpLen) {
            return reject(Reason.BAD_DATA_OFFSET, "header length " + doff * 4 + " > segment length " + tcpLen);
        }
        return null;
    }

    private static PacketParse tcpResult(ByteBuffer buf, int version, InetAddress src, InetAddress dst,
                                         int ttl, int ipOff, int ipPayloadOff, int ipPayloadLen,
                                         int tcpOff, int tcpLen, boolean ipOk, boolean tcpOk) {
        TcpSegmentView tcp = new TcpSegmentView(buf, tcpOff);
        int hlen = tcp.headerLength();
        return new PacketParse.Tcp(version, src, dst, ttl, ipOff, ipPayloadOff, ipPayloadLen, tcpOff,
                tcp.toHeader(), hlen, tcpOff + hlen, tcpLen - hlen, ipOk, tcpOk);
    }

    private static Rejected reject(Reason reason, String detail) {
        return new Rejected(reason, detail);
    }

    // ---- emit ------------------------------------------------------------------------------

    /**
     * The IPv4 header fields of an emitted packet. Addresses are big-endian ints. With DF set the
     * datagram is atomic and its identification may be anything (RFC 6864 section 4.1). One
     * instance can be kept per subflow.
     */
    public record Ipv4Fields(int src, int dst, int tos, int ttl, int identification,
                             boolean dontFragment) {
        /** DF set, TOS 0, identification 0. */
        public static Ipv4Fields of(Inet4Address src, Inet4Address dst, int ttl) {
            return new Ipv4Fields(toInt(src), toInt(dst), 0, ttl, 0, true);
        }

        private static int toInt(Inet4Address a) {
            byte[] b = a.getAddress();
            return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        }
    }

    /** The IPv6 header fields of an emitted packet, addresses as high and low 64 bits. */
    public record Ipv6Fields(long srcHigh, long srcLow, long dstHigh, long dstLow, int trafficClass,
                             int flowLabel, int hopLimit) {
        /** Traffic class 0, flow label 0. */
        public static Ipv6Fields of(Inet6Address src, Inet6Address dst, int hopLimit) {
            ByteBuffer s = ByteBuffer.wrap(src.getAddress());
            ByteBuffer d = ByteBuffer.wrap(dst.getAddress());
            return new Ipv6Fields(s.getLong(0), s.getLong(8), d.getLong(0), d.getLong(8), 0, 0, hopLimit);
        }
    }

    /**
     * Writes an IPv4 packet (20-byte header, no IP options) carrying {@code tcp} and
     * {@code payloadLength} bytes of {@code payload} from absolute index {@code payloadOffset}
     * into {@code out} at absolute index {@code offset}, fills both checksums and returns the
     * packet length. The record's checksum field is ignored. Positions are not moved.
     *
     * @throws IllegalArgumentException if the options exceed 40 bytes or the packet 65535 bytes
     * @throws IndexOutOfBoundsException if the packet does not fit in {@code out}
     */
    public static int emitIpv4(ByteBuffer out, int offset, Ipv4Fields f, TcpHeader tcp,
                               ByteBuffer payload, int payloadOffset, int payloadLength) {
        int tcpOff = offset + Ipv4Packet.MIN_HEADER_LENGTH;
        int segLen = writeSegment(out, tcpOff, tcp, payload, payloadOffset, payloadLength,
                Ipv4Packet.MAX_TOTAL_LENGTH - Ipv4Packet.MIN_HEADER_LENGTH);
        int total = Ipv4Packet.MIN_HEADER_LENGTH + segLen;
        Ipv4Packet ip = new Ipv4Packet(out, offset);
        ip.setVersionAndHeaderLength(Ipv4Packet.MIN_HEADER_LENGTH).setTos(f.tos()).setTotalLength(total)
                .setIdentification(f.identification())
                .setFlagsAndFragment(f.dontFragment() ? Ipv4Packet.FLAG_DF : 0).setTtl(f.ttl())
                .setProtocol(Ipv4Packet.PROTOCOL_TCP).setSrcAddr(f.src()).setDstAddr(f.dst())
                .fillChecksum();
        int pseudo = Checksum.pseudoIpv4(f.src(), f.dst(), Ipv4Packet.PROTOCOL_TCP, segLen);
        Bytes.put16(out, tcpOff + TcpSegmentView.CHECKSUM, Checksum.tcp(pseudo, out, tcpOff, segLen));
        return total;
    }

    /**
     * Writes an IPv6 packet (fixed header only, next header TCP) carrying {@code tcp} and the
     * payload; see {@link #emitIpv4} for the conventions.
     */
    public static int emitIpv6(ByteBuffer out, int offset, Ipv6Fields f, TcpHeader tcp,
                               ByteBuffer payload, int payloadOffset, int payloadLength) {
        int tcpOff = offset + Ipv6Packet.HEADER_LENGTH;
        int segLen = writeSegment(out, tcpOff, tcp, payload, payloadOffset, payloadLength, 0xffff);
        Ipv6Packet ip = new Ipv6Packet(out, offset);
        ip.setVersionClassFlow(f.trafficClass(), f.flowLabel()).setPayloadLength(segLen)
                .setNextHeader(Ipv6Packet.NH_TCP).setHopLimit(f.hopLimit())
                .setSrcAddr(f.srcHigh(), f.srcLow()).setDstAddr(f.dstHigh(), f.dstLow());
        int pseudo = ip.pseudoHeaderSum(Ipv6Packet.NH_TCP, segLen);
        Bytes.put16(out, tcpOff + TcpSegmentView.CHECKSUM, Checksum.tcp(pseudo, out, tcpOff, segLen));
        return Ipv6Packet.HEADER_LENGTH + segLen;
    }

    /**
     * Convenience for callers holding {@link InetAddress}es: IPv4 (DF set) or IPv6 by the
     * addresses' family, which must match. Allocates the field record; keep an
     * {@link Ipv4Fields}/{@link Ipv6Fields} per subflow on hot paths instead.
     */
    public static int emit(ByteBuffer out, int offset, InetAddress src, InetAddress dst, int ttl,
                           TcpHeader tcp, ByteBuffer payload, int payloadOffset, int payloadLength) {
        if (src instanceof Inet4Address s4 && dst instanceof Inet4Address d4) {
            return emitIpv4(out, offset, Ipv4Fields.of(s4, d4, ttl), tcp, payload, payloadOffset, payloadLength);
        }
        if (src instanceof Inet6Address s6 && dst instanceof Inet6Address d6) {
            return emitIpv6(out, offset, Ipv6Fields.of(s6, d6, ttl), tcp, payload, payloadOffset, payloadLength);
        }
        throw new IllegalArgumentException("address families differ: " + src + " -> " + dst);
    }

    /** Writes header, options and payload at {@code tcpOff}; returns the segment length. */
    private static int writeSegment(ByteBuffer out, int tcpOff, TcpHeader tcp, ByteBuffer payload,
                                    int payloadOffset, int payloadLength, int maxSegment) {
        int hlen = TcpHeader.MIN_LENGTH + TcpOptionCodec.paddedLength(tcp.options());
        int segLen = hlen + payloadLength;
        if (segLen > maxSegment) {
            throw new IllegalArgumentException("segment of " + segLen + " bytes exceeds " + maxSegment);
        }
        Bytes.checkRange(out, tcpOff, segLen);
        new TcpSegmentView(out, tcpOff).writeHeader(tcp);
        if (payloadLength > 0) {
            out.put(tcpOff + hlen, payload, payloadOffset, payloadLength);
        }
        return segLen;
    }
}
