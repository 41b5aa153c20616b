/**
 * The wire codec: IPv4, IPv6 and TCP headers, TCP and MPTCP options, checksums.
 *
 * <p>Two layers, as smoltcp {@code wire/tcp.rs} and Linux do it:
 * <ul>
 *   <li>zero-copy views over a {@link java.nio.ByteBuffer} with offset constants
 *       ({@link io.jmptcp.core.wire.Ipv4Packet}, {@link io.jmptcp.core.wire.Ipv6Packet},
 *       {@link io.jmptcp.core.wire.TcpSegmentView}); their getters and setters do not allocate;</li>
 *   <li>immutable records for the parsed form ({@link io.jmptcp.core.wire.TcpHeader},
 *       {@link io.jmptcp.core.wire.TcpOption}, {@link io.jmptcp.core.wire.MptcpOption},
 *       {@link io.jmptcp.core.wire.PacketParse}).</li>
 * </ul>
 * Entry points: {@link io.jmptcp.core.wire.IpPacketCodec#parse} (a whole IP packet to a TCP
 * segment or a typed rejection) and {@code emitIpv4}/{@code emitIpv6} (a record and payload to a
 * packet with both checksums); {@link io.jmptcp.core.wire.TcpOptionCodec} and
 * {@link io.jmptcp.core.wire.MptcpOptionCodec} for option areas and single options;
 * {@link io.jmptcp.core.wire.Checksum} for RFC 1071/1624 sums and the RFC 8684 DSS checksum.
 *
 * <p>Bad wire input never throws (DESIGN.md practice 3): it becomes a
 * {@link io.jmptcp.core.wire.PacketParse.Rejected}, a {@link io.jmptcp.core.wire.TcpOption.Malformed}
 * or a {@link io.jmptcp.core.wire.MptcpOption.MptcpMalformed} with a reason. Exceptions are for API
 * misuse only (a range outside the buffer, an option list that does not fit). All multi-byte
 * fields are read and written big-endian whatever the buffer's byte order, at absolute indexes;
 * buffer positions are only moved by the option {@code emit} methods, which write at the position.
 */
package io.jmptcp.core.wire;
