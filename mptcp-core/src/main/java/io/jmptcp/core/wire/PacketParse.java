package io.jmptcp.core.wire;

import java.net.InetAddress;

/**
 * The result of {@link IpPacketCodec#parse}: a TCP segment in an IPv4 or IPv6 packet, or a
 * rejection with a reason. Offsets are absolute indexes into the parsed buffer.
 */
public sealed interface PacketParse permits PacketParse.Tcp, PacketParse.Rejected {

    /** Why a packet is not a parseable TCP segment. */
    enum Reason {
        /** Fewer bytes than a header (IP, extension or TCP) or a length field needs. */
        TRUNCATED,
        /** The IP version nibble is neither 4 nor 6. */
        BAD_VERSION,
        /** IPv4 IHL below 5 (RFC 791 section 3.1). */
        BAD_IHL,
        /** IPv4 total length shorter than the header. */
        BAD_TOTAL_LENGTH,
        /** IPv4 fragment or IPv6 fragment other than an atomic one (RFC 6946). */
        FRAGMENT,
        /** The upper-layer protocol is not TCP (including IPv6 No Next Header). */
        NOT_TCP,
        /** IPv6 ESP (RFC 4303): what follows is encrypted. */
        ENCRYPTED,
        /** An IPv6 extension header in a place it may not be (hop-by-hop not first, RFC 8200 4.1). */
        BAD_EXTENSION_HEADER,
        /** TCP data offset below 5 words or beyond the segment (RFC 9293 section 3.1). */
        BAD_DATA_OFFSET
    }

    /**
     * A TCP segment. {@code ipPayloadOffset}/{@code ipPayloadLength} span what follows the fixed
     * IP header (IPv6 extension headers included); the TCP header starts at {@code tcpOffset} and
     * the segment's data at {@code payloadOffset}. {@code header.checksum()} is the stored value;
     * {@code tcpChecksumValid} says whether it is right for the pseudo-header, and
     * {@code ipChecksumValid} whether the IPv4 header checksum is (always true for IPv6). Bytes
     * after the IP packet's own length (link padding) are not part of it.
     */
    record Tcp(int ipVersion, InetAddress src, InetAddress dst, int ttl, int ipHeaderOffset,
               int ipPayloadOffset, int ipPayloadLength, int tcpOffset, TcpHeader header,
               int tcpHeaderLength, int payloadOffset, int payloadLength, boolean ipChecksumValid,
               boolean tcpChecksumValid) implements PacketParse {
        /** The IP protocol (IPv6: the final next-header value); always TCP here. */
        public int protocol() {
            return Ipv4Packet.PROTOCOL_TCP;
        }

        /** Length of the TCP segment, header and data. */
        public int segmentLength() {
            return tcpHeaderLength + payloadLength;
        }
    }

    /** Not a parseable TCP segment; {@code detail} gives the numbers (for logs and the decoder). */
    record Rejected(Reason reason, String detail) implements PacketParse {
    }
}
