package io.jmptcp.core.wire;

import static io.jmptcp.core.wire.Hex.bytes;
import static io.jmptcp.core.wire.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.wire.IpPacketCodec.Ipv4Fields;
import io.jmptcp.core.wire.IpPacketCodec.Ipv6Fields;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.PacketParse.Reason;
import io.jmptcp.core.wire.PacketParse.Rejected;
import io.jmptcp.core.wire.TcpOption.Mss;
import io.jmptcp.core.wire.TcpOption.SackPermitted;
import io.jmptcp.core.wire.TcpOption.Timestamps;
import io.jmptcp.core.wire.TcpOption.WindowScale;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IpPacketCodecTest {
    static final byte[] HELLO = "hello world\n".getBytes(StandardCharsets.US_ASCII);
    static final TcpHeader SYN = new TcpHeader(34984, 5001, 0x12345678, 0, TcpHeader.SYN, 64240, 0, 0,
            List.of(new Mss(1460), new SackPermitted(), new Timestamps(447891443, 0), TcpOptionCodec.NOP,
                    new WindowScale(10), MpCapable.syn(1)));
    static final TcpHeader DATA = new TcpHeader(34984, 5001, 0x12345679, 0x9abcdef0,
            TcpHeader.ACK | TcpHeader.PSH, 63, 0, 0,
            List.of(TcpOptionCodec.NOP, TcpOptionCodec.NOP, new Timestamps(5, 6),
                    new Dss(true, true, 0x62815714b76ae9a6L, true, true, 0xf5a101d3d29d6f73L, 1, 12, false, false, 0),
                    TcpOptionCodec.NOP, TcpOptionCodec.NOP));

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] ipv4(TcpHeader h, byte[] payload) {
        ByteBuffer out = ByteBuffer.allocate(1600);
        int n = IpPacketCodec.emitIpv4(out, 0, Ipv4Fields.of((Inet4Address) ip("10.91.1.1"),
                (Inet4Address) ip("10.91.1.2"), 64), h, ByteBuffer.wrap(payload), 0, payload.length);
        byte[] b = new byte[n];
        out.get(0, b);
        return b;
    }

    static byte[] ipv6(TcpHeader h, byte[] payload) {
        ByteBuffer out = ByteBuffer.allocate(1600);
        int n = IpPacketCodec.emitIpv6(out, 0, Ipv6Fields.of((Inet6Address) ip("fd91:1::1"),
                (Inet6Address) ip("fd91:1::2"), 64), h, ByteBuffer.wrap(payload), 0, payload.length);
        byte[] b = new byte[n];
        out.get(0, b);
        return b;
    }

    /** Inserts IPv6 extension headers (each given with its own next-header byte 0x06 to be chained). */
    static byte[] withExtensions(byte[] v6, int firstNextHeader, String... exts) {
        ByteBuffer out = ByteBuffer.allocate(v6.length + 200);
        out.put(v6, 0, 40);
        int total = 0;
        for (String e : exts) {
            byte[] b = bytes(e);
            out.put(b);
            total += b.length;
        }
        out.put(v6, 40, v6.length - 40);
        byte[] r = new byte[out.position()];
        out.get(0, r);
        r[6] = (byte) firstNextHeader;
        int plen = ((v6[4] & 0xff) << 8 | (v6[5] & 0xff)) + total;
        r[4] = (byte) (plen >> 8);
        r[5] = (byte) plen;
        return r;
    }

    static PacketParse.Tcp parseOk(byte[] p) {
        PacketParse r = IpPacketCodec.parse(ByteBuffer.wrap(p), 0, p.length);
        return assertInstanceOf(PacketParse.Tcp.class, r, () -> r.toString());
    }

    @Test
    void emitsAndParsesIpv4() {
        byte[] p = ipv4(DATA, HELLO);
        assertEquals(20 + 20 + 40 + 12, p.length);
        // Fixed IPv4 header: DF, TTL 64, protocol 6, checksum checked by an independent sum below.
        assertEquals("4500005c00004000" + "4006", hex(p).substring(0, 20));
        PacketParse.Tcp t = parseOk(p);
        assertEquals(4, t.ipVersion());
        assertEquals(ip("10.91.1.1"), t.src());
        assertEquals(ip("10.91.1.2"), t.dst());
        assertEquals(64, t.ttl());
        assertEquals(6, t.protocol());
        assertEquals(20, t.tcpOffset());
        assertEquals(60, t.tcpHeaderLength());
        assertEquals(80, t.payloadOffset());
        assertEquals(12, t.payloadLength());
        assertEquals(72, t.segmentLength());
        assertTrue(t.ipChecksumValid());
        assertTrue(t.tcpChecksumValid());
        assertEquals(0xffff, ChecksumTest.referenceSum(java.util.Arrays.copyOf(p, 20)));
        TcpHeader h = t.header();
        assertEquals(new TcpHeader(DATA.srcPort(), DATA.dstPort(), DATA.seq(), DATA.ack(), DATA.flags(),
                DATA.window(), h.checksum(), 0, DATA.options()), h);
        assertEquals("hello world\n", new String(p, t.payloadOffset(), t.payloadLength(), StandardCharsets.US_ASCII));
    }

    @Test
    void emitsAndParsesIpv6() {
        byte[] p = ipv6(SYN, new byte[0]);
        assertEquals(40 + 20 + 24, p.length);
        assertEquals("60000000 002c 06 40", hex(p).substring(0, 8) + " " + hex(p).substring(8, 12) + " "
                + hex(p).substring(12, 14) + " " + hex(p).substring(14, 16));
        PacketParse.Tcp t = parseOk(p);
        assertEquals(6, t.ipVersion());
        assertEquals(ip("fd91:1::1"), t.src());
        assertEquals(ip("fd91:1::2"), t.dst());
        assertEquals(40, t.ipPayloadOffset());
        assertEquals(44, t.tcpHeaderLength());
        assertEquals(0, t.payloadLength());
        assertTrue(t.tcpChecksumValid());
        assertEquals(SYN.options(), t.header().options());
    }

    @Test
    void emitWorksInLittleEndianBuffersAtAnOffset() {
        ByteBuffer out = ByteBuffer.allocate(300).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer payload = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).put(7, HELLO);
        int n = IpPacketCodec.emit(out, 13, ip("10.91.1.1"), ip("10.91.1.2"), 64, DATA, payload, 7, HELLO.length);
        byte[] got = new byte[n];
        out.get(13, got);
        assertEquals(hex(ipv4(DATA, HELLO)), hex(got));
        assertEquals(0, out.position());
        PacketParse.Tcp t = assertInstanceOf(PacketParse.Tcp.class, IpPacketCodec.parse(out, 13, n));
        assertEquals(13 + 80, t.payloadOffset());
        assertTrue(t.tcpChecksumValid());
    }

    @Test
    void emitRejectsApiMisuse() {
        TcpHeader tooMany = new TcpHeader(1, 2, 3, 4, TcpHeader.ACK, 5, 0, 0,
                List.of(new Timestamps(1, 2), new Timestamps(1, 2), new Timestamps(1, 2), new Timestamps(1, 2),
                        TcpOptionCodec.NOP));
        assertThrows(IllegalArgumentException.class, () -> ipv4(tooMany, new byte[0]));
        assertThrows(IndexOutOfBoundsException.class, () -> IpPacketCodec.emitIpv4(ByteBuffer.allocate(50), 0,
                new Ipv4Fields(1, 2, 0, 64, 0, true), DATA, ByteBuffer.wrap(HELLO), 0, HELLO.length));
        assertThrows(IllegalArgumentException.class, () -> IpPacketCodec.emit(ByteBuffer.allocate(200), 0,
                ip("10.0.0.1"), ip("::1"), 64, DATA, ByteBuffer.wrap(HELLO), 0, HELLO.length));
    }

    @Test
    void ipv4OptionsAreSkippedViaIhl() {
        byte[] base = ipv4(DATA, HELLO);
        // Insert 4 bytes of IP options (NOP NOP NOP EOL), IHL 6, fix lengths and the header checksum.
        byte[] p = new byte[base.length + 4];
        System.arraycopy(base, 0, p, 0, 20);
        System.arraycopy(bytes("01010100"), 0, p, 20, 4);
        System.arraycopy(base, 20, p, 24, base.length - 20);
        p[0] = 0x46;
        p[3] = (byte) (p[3] + 4);
        Ipv4Packet v = new Ipv4Packet(ByteBuffer.wrap(p), 0);
        v.fillChecksum();
        PacketParse.Tcp t = parseOk(p);
        assertEquals(24, t.tcpOffset());
        assertTrue(t.ipChecksumValid());
        assertTrue(t.tcpChecksumValid());
        assertEquals(DATA.options(), t.header().options());
    }

    @Test
    void trailingLinkPaddingIsNotPartOfThePacket() {
        byte[] base = ipv4(SYN, new byte[0]);
        byte[] padded = java.util.Arrays.copyOf(base, base.length + 6);
        PacketParse.Tcp t = parseOk(padded);
        assertEquals(0, t.payloadLength());
        assertTrue(t.tcpChecksumValid());
    }

    @Test
    void badChecksumsAreReportedNotRejected() {
        byte[] p = ipv4(DATA, HELLO);
        p[p.length - 1] ^= 1;
        p[8] = 63; // TTL changed without fixing the header checksum
        PacketParse.Tcp t = parseOk(p);
        assertEquals(false, t.tcpChecksumValid());
        assertEquals(false, t.ipChecksumValid());
    }

    @Test
    void ipv6ExtensionHeadersAreWalked() {
        byte[] v6 = ipv6(DATA, HELLO);
        // Hop-by-hop (8 bytes, PadN), routing (type 4 header of 8 bytes), destination options, AH
        // (payload length 4 -> (4+2)*4 = 24 bytes), atomic fragment (offset 0, M 0).
        byte[] p = withExtensions(v6, 0,
                "2b 00 0104 00000000",
                "3c 00 04 00 00000000",
                "33 00 0104 00000000",
                "2c 04 0000 00000001 00000002 000000000000000000000000",
                "06 00 0000 00000001");
        PacketParse.Tcp t = parseOk(p);
        assertEquals(40 + 8 + 8 + 8 + 24 + 8, t.tcpOffset());
        assertEquals(40, t.ipPayloadOffset());
        assertEquals(p.length - 40, t.ipPayloadLength());
        assertTrue(t.tcpChecksumValid());
        assertEquals(12, t.payloadLength());
    }

    static Stream<Arguments> rejections() {
        byte[] v4 = ipv4(DATA, HELLO);
        byte[] v6 = ipv6(DATA, HELLO);
        return Stream.of(
                rej("empty", new byte[0], Reason.TRUNCATED, "empty packet"),
                rej("short v4", java.util.Arrays.copyOf(v4, 10), Reason.TRUNCATED, "IPv4 header needs 20 bytes, have 10"),
                rej("version 5", mutate(v4, b -> b.put(0, (byte) 0x55)), Reason.BAD_VERSION, "IP version 5"),
                rej("version 0", new byte[] {0}, Reason.BAD_VERSION, "IP version 0"),
                rej("IHL 4", mutate(v4, b -> b.put(0, (byte) 0x44)), Reason.BAD_IHL, "IHL 4 < 5"),
                rej("total < header", mutate(v4, b -> b.putShort(2, (short) 19)), Reason.BAD_TOTAL_LENGTH,
                        "total length 19 < header length 20"),
                rej("IHL 15 beyond total", mutate(v4, b -> b.put(0, (byte) 0x4f).putShort(2, (short) 40)),
                        Reason.BAD_TOTAL_LENGTH, "total length 40 < header length 60"),
                rej("total > available", mutate(v4, b -> b.putShort(2, (short) 1500)), Reason.TRUNCATED,
                        "total length 1500 > 92 bytes available"),
                rej("v4 first fragment", mutate(v4, b -> b.putShort(6, (short) 0x2000).putShort(4, (short) 77)),
                        Reason.FRAGMENT, "IPv4 first fragment (MF set), id 77"),
                rej("v4 later fragment", mutate(v4, b -> b.putShort(6, (short) 0x00b9)), Reason.FRAGMENT,
                        "IPv4 non-first fragment, offset 1480"),
                rej("UDP", mutate(v4, b -> b.put(9, (byte) 17)), Reason.NOT_TCP, "IP protocol 17"),
                rej("TCP truncated", mutate(java.util.Arrays.copyOf(v4, 30), b -> b.putShort(2, (short) 30)),
                        Reason.TRUNCATED, "TCP header needs 20 bytes, have 10"),
                rej("data offset 4", mutate(v4, b -> b.put(32, (byte) 0x40)), Reason.BAD_DATA_OFFSET, "data offset 4 < 5"),
                rej("data offset 0", mutate(v4, b -> b.put(32, (byte) 0x00)), Reason.BAD_DATA_OFFSET, "data offset 0 < 5"),
                rej("data offset past packet", mutate(java.util.Arrays.copyOf(v4, 60), b -> b.putShort(2, (short) 60)),
                        Reason.BAD_DATA_OFFSET, "header length 60 > segment length 40"),
                rej("short v6", java.util.Arrays.copyOf(v6, 39), Reason.TRUNCATED, "IPv6 header needs 40 bytes, have 39"),
                rej("v6 payload > available", java.util.Arrays.copyOf(v6, 100), Reason.TRUNCATED,
                        "payload length 72 > 60 bytes available"),
                rej("v6 ESP", withExtensions(v6, 50, "00000001 00000001"), Reason.ENCRYPTED, "IPv6 ESP"),
                rej("v6 no next header", withExtensions(v6, 60, "3b 00 0104 00000000"), Reason.NOT_TCP,
                        "IPv6 no next header"),
                rej("v6 UDP", mutate(v6, b -> b.put(6, (byte) 17)), Reason.NOT_TCP, "IPv6 next header 17"),
                rej("v6 later fragment", withExtensions(v6, 44, "06 00 05c8 00000009"), Reason.FRAGMENT,
                        "IPv6 non-first fragment, offset 1480"),
                rej("v6 first fragment", withExtensions(v6, 44, "06 00 0001 00000009"), Reason.FRAGMENT,
                        "IPv6 first fragment (M set), id 9"),
                rej("v6 hop-by-hop not first", withExtensions(v6, 60, "00 00 0104 00000000", "06 00 0104 00000000"),
                        Reason.BAD_EXTENSION_HEADER, "hop-by-hop options not first"),
                rej("v6 extension past payload", withExtensions(v6, 60, "06 ff 0104 00000000"), Reason.TRUNCATED,
                        "IPv6 extension header 60 runs past the payload"),
                rej("v6 TCP truncated", mutate(java.util.Arrays.copyOf(v6, 50), b -> b.putShort(4, (short) 10)),
                        Reason.TRUNCATED, "TCP header needs 20 bytes, have 10"));
    }

    static Arguments rej(String name, byte[] p, Reason reason, String detail) {
        return Arguments.of(name, p, reason, detail);
    }

    static byte[] mutate(byte[] p, Function<ByteBuffer, ByteBuffer> f) {
        byte[] c = p.clone();
        f.apply(ByteBuffer.wrap(c));
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void rejectsWithReason(String name, byte[] p, Reason reason, String detail) {
        assertEquals(new Rejected(reason, detail), IpPacketCodec.parse(ByteBuffer.wrap(p), 0, p.length));
    }

    @Test
    void viewsReadAndWriteFields() {
        byte[] p = ipv4(DATA, HELLO);
        ByteBuffer b = ByteBuffer.wrap(p);
        Ipv4Packet ip = new Ipv4Packet(b, 0);
        assertEquals(4, ip.version());
        assertEquals(5, ip.ihl());
        assertEquals(92, ip.totalLength());
        assertTrue(ip.dontFragment());
        assertEquals(0x0a5b0101, ip.srcAddr());
        assertTrue(ip.checksumValid());
        ip.setTtl(1);
        assertEquals(false, ip.checksumValid());
        ip.fillChecksum();
        assertTrue(ip.checksumValid());
        TcpSegmentView tcp = new TcpSegmentView(b, ip.payloadOffset());
        assertEquals(34984, tcp.srcPort());
        assertEquals(0x9abcdef0, tcp.ack());
        assertEquals(15, tcp.dataOffset());
        assertEquals(TcpHeader.ACK | TcpHeader.PSH, tcp.flags());
        tcp.setWindow(0xffff);
        assertEquals(0xffff, tcp.window());
        assertEquals(false, Checksum.tcpValid(ip.pseudoHeaderSum(), b, 20, 72));
        tcp.setChecksum(Checksum.tcp(ip.pseudoHeaderSum(), b, 20, 72));
        assertTrue(Checksum.tcpValid(ip.pseudoHeaderSum(), b, 20, 72));
        assertEquals(DATA.options(), tcp.options());
        // One view instance serves many packets.
        byte[] q = ipv6(SYN, new byte[0]);
        Ipv6Packet v6 = new Ipv6Packet(ByteBuffer.wrap(q), 0);
        assertEquals(6, v6.version());
        assertEquals(24 + 20, v6.payloadLength());
        assertEquals(0xfd91000100000000L, v6.srcAddrHigh());
        assertEquals(2, v6.dstAddrLow());
        assertEquals(SYN.seq(), tcp.wrap(ByteBuffer.wrap(q), 40).seq());
    }
}
