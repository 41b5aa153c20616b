package io.jmptcp.core.wire;

import static io.jmptcp.core.wire.Hex.bytes;
import static io.jmptcp.core.wire.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.MptcpOption.MpJoinSyn;
import io.jmptcp.core.wire.MptcpOption.MptcpMalformed;
import io.jmptcp.core.wire.TcpOption.Malformed;
import io.jmptcp.core.wire.TcpOption.Mss;
import io.jmptcp.core.wire.TcpOption.Sack;
import io.jmptcp.core.wire.TcpOption.SackBlock;
import io.jmptcp.core.wire.TcpOption.SackPermitted;
import io.jmptcp.core.wire.TcpOption.Timestamps;
import io.jmptcp.core.wire.TcpOption.Unknown;
import io.jmptcp.core.wire.TcpOption.WindowScale;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The TCP option area walk (RFC 9293 section 3.2) and option emission. */
class TcpOptionCodecTest {
    static final TcpOption NOP = TcpOptionCodec.NOP;
    static final TcpOption EOL = TcpOptionCodec.EOL;

    /** Option areas as Linux sends them (wire-facts sheet section 7) and simple cases. */
    static Stream<Arguments> areas() {
        return Stream.of(
                // Linux MPC SYN: MSS, SACK_PERM + TS, NOP, WS, MPC(4) = 24 bytes.
                Arguments.of("020405b4 0402 080a 0005a1e2 00000000 01 030307 1e040101",
                        List.of(new Mss(1460), new SackPermitted(), new Timestamps(0x5a1e2, 0), NOP,
                                new WindowScale(7), MpCapable.syn(1))),
                // Linux MPC third ACK: NOP NOP TS MPC(20) = 32 bytes.
                Arguments.of("0101 080a 00000002 0005a1e2 1e140101 0102030405060708 1122334455667788",
                        List.of(NOP, NOP, new Timestamps(2, 0x5a1e2),
                                MpCapable.ack(1, 0x0102030405060708L, 0x1122334455667788L))),
                // Linux data: NOP NOP TS DSS(26) NOP NOP = 40 bytes, the whole area.
                Arguments.of("0101 080a 00000003 00000004 1e1a200f 62815714b76ae9a6 f5a101d3d29d6f73 00000001 05a0 0101",
                        List.of(NOP, NOP, new Timestamps(3, 4),
                                new Dss(true, true, 0x62815714b76ae9a6L, true, true, 0xf5a101d3d29d6f73L, 1, 1440, false, false, 0),
                                NOP, NOP)),
                // Linux MPJ SYN: MSS SACK_PERM TS NOP WS MPJ(12) = 32 bytes.
                Arguments.of("020405b4 0402 080a 00000001 00000000 01 030307 1e0c1000 1dce6604 01020304",
                        List.of(new Mss(1460), new SackPermitted(), new Timestamps(1, 0), NOP,
                                new WindowScale(7), new MpJoinSyn(false, 0, 0x1dce6604, 0x01020304))),
                // Pure ACK with 32-bit DATA_ACK and two SACK blocks.
                Arguments.of("0101 080a 00000001 00000002 1e082001 d29d6f80 0101 0512 00000064 000000c8 0000012c 00000190",
                        List.of(NOP, NOP, new Timestamps(1, 2),
                                new Dss(true, false, 0xd29d6f80L, false, false, 0, 0, 0, false, false, 0), NOP, NOP,
                                new Sack(List.of(new SackBlock(100, 200), new SackBlock(300, 400))))),
                // EOL ends the walk; the padding after it is not read as options.
                Arguments.of("020405b4 00 ff ff ff", List.of(new Mss(1460), EOL)),
                Arguments.of("", List.of()),
                // Unknown kinds keep their data (TCP-AO 29, experimental 253).
                Arguments.of("fd04abcd 1d02", List.of(new Unknown(253, bytes("abcd")), new Unknown(29, new byte[0]))),
                // Sequence numbers across 2^31 stay unsigned on the wire.
                Arguments.of("050a ffffff00 80000000", List.of(new Sack(List.of(new SackBlock(0xffffff00, 0x80000000))))));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("areas")
    void parsesArea(String hexBytes, List<TcpOption> expected) {
        byte[] b = bytes(hexBytes);
        ByteBuffer buf = ByteBuffer.allocate(b.length + 8);
        buf.put(0, bytes("1e0c1e0c")).put(4, b).put(4 + b.length, bytes("1e0c1e0c"));
        assertEquals(expected, TcpOptionCodec.parse(buf, 4, b.length));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("areas")
    void emitsEachOption(String hexBytes, List<TcpOption> options) {
        byte[] b = bytes(hexBytes);
        int sum = options.stream().mapToInt(TcpOption::length).sum();
        ByteBuffer out = ByteBuffer.allocate(sum);
        for (TcpOption o : options) {
            TcpOptionCodec.emit(o, out);
        }
        assertEquals(sum, out.position());
        // What was parsed re-emits as the same bytes, up to and including an EOL.
        assertEquals(hex(b).substring(0, 2 * sum), hex(out.array()));
    }

    static Stream<Arguments> malformedAreas() {
        return Stream.of(
                Arguments.of("02030501", List.of(new Malformed(2, "bad length 3 for MSS", bytes("020305")), NOP)),
                Arguments.of("0304 0700", List.of(new Malformed(3, "bad length 4 for window scale", bytes("03040700")))),
                Arguments.of("0403 00 01", List.of(new Malformed(4, "bad length 3 for SACK permitted", bytes("040300")), NOP)),
                Arguments.of("0502", List.of(new Malformed(5, "bad length 2 for SACK", bytes("0502")))),
                Arguments.of("050b 0000000000000000 00", List.of(new Malformed(5, "bad length 11 for SACK", bytes("050b000000000000000000")))),
                Arguments.of("0809 00000000000000", List.of(new Malformed(8, "bad length 9 for timestamps", bytes("080900000000000000")))),
                // A length running past the area stops the walk and keeps what was left.
                Arguments.of("01 080a 00000000", List.of(NOP, new Malformed(8, "length 10 runs past the option area (6 bytes left)", bytes("080a00000000")))),
                Arguments.of("0101 1e14 0101", List.of(NOP, NOP, new Malformed(30, "length 20 runs past the option area (4 bytes left)", bytes("1e140101")))),
                // A length byte below 2 would loop forever in a naive walk: stop.
                Arguments.of("0301 0101", List.of(new Malformed(3, "length 1 < 2", bytes("03010101")))),
                Arguments.of("fd00", List.of(new Malformed(253, "length 0 < 2", bytes("fd00")))),
                Arguments.of("01 02", List.of(NOP, new Malformed(2, "no length byte", bytes("02")))),
                // A bad MPTCP option is malformed at the MPTCP level and the walk continues.
                Arguments.of("1e050101 00 01", List.of(new MptcpMalformed(0, "bad length 5 for MP_CAPABLE", bytes("1e05010100")), NOP)),
                Arguments.of("1e02 0101", List.of(new MptcpMalformed(-1, "MPTCP option of length 2 has no subtype", bytes("1e02")), NOP, NOP)));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("malformedAreas")
    void reportsMalformed(String hexBytes, List<TcpOption> expected) {
        byte[] b = bytes(hexBytes);
        ByteBuffer buf = ByteBuffer.allocate(b.length + 5);
        buf.put(0, bytes("aa")).put(1, b).put(1 + b.length, bytes("080a0000"));
        assertEquals(expected, TcpOptionCodec.parse(buf, 1, b.length));
    }

    @Test
    void emitAllPadsWithNops() {
        // Linux's first data segment: NOP NOP TS MPC(22), padded with 2 NOPs to 36 bytes.
        List<TcpOption> opts = List.of(NOP, NOP, new Timestamps(7, 8),
                MpCapable.ackData(1, 0x0102030405060708L, 0x1122334455667788L, 12));
        assertEquals(36, TcpOptionCodec.paddedLength(opts));
        ByteBuffer out = ByteBuffer.allocate(40);
        assertEquals(36, TcpOptionCodec.emitAll(opts, out));
        assertEquals(36, out.position());
        assertEquals("0101080a0000000700000008" + "1e16010101020304050607081122334455667788000c" + "0101"
                + "00000000", hex(out.array()));
        assertEquals(List.of(NOP, NOP, opts.get(2), opts.get(3), NOP, NOP), TcpOptionCodec.parse(out, 0, 36));
    }

    @Test
    void firstFindsAnOptionByType() {
        List<TcpOption> opts = TcpOptionCodec.parse(ByteBuffer.wrap(bytes(
                "0101 080a 00000001 00000002 1e082001 d29d6f80 0101 050a 00000064 000000c8")), 0, 32);
        assertEquals(new Timestamps(1, 2), TcpOptionCodec.first(opts, Timestamps.class));
        assertEquals(0xd29d6f80L, TcpOptionCodec.first(opts, Dss.class).dataAck());
        assertEquals(TcpOptionCodec.first(opts, Dss.class), TcpOptionCodec.first(opts, MptcpOption.class));
        assertEquals(null, TcpOptionCodec.first(opts, Mss.class));
    }

    @Test
    void paddedLengthRoundsUpToWords() {
        assertEquals(0, TcpOptionCodec.paddedLength(List.of()));
        assertEquals(4, TcpOptionCodec.paddedLength(List.of(NOP)));
        assertEquals(4, TcpOptionCodec.paddedLength(List.of(new Mss(1))));
        assertEquals(8, TcpOptionCodec.paddedLength(List.of(new Mss(1), new WindowScale(1))));
        assertEquals(12, TcpOptionCodec.paddedLength(List.of(new Timestamps(1, 1))));
    }

    @Test
    void emitRefusesToOverflow() {
        ByteBuffer small = ByteBuffer.allocate(9);
        assertThrows(BufferOverflowException.class, () -> TcpOptionCodec.emit(new Timestamps(1, 2), small));
        assertEquals(0, small.position());
        assertThrows(BufferOverflowException.class,
                () -> TcpOptionCodec.emitAll(List.of(new Mss(1), new Mss(2), new WindowScale(3)), ByteBuffer.allocate(11)));
    }

    @Test
    void rangeOutsideTheBufferIsApiMisuse() {
        ByteBuffer buf = ByteBuffer.allocate(8);
        assertThrows(IndexOutOfBoundsException.class, () -> TcpOptionCodec.parse(buf, 4, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> TcpOptionCodec.parse(buf, -1, 2));
    }
}
