package io.jmptcp.core.wire;

import static io.jmptcp.core.wire.Hex.bytes;
import static io.jmptcp.core.wire.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jmptcp.core.wire.MptcpOption.AddAddr;
import io.jmptcp.core.wire.MptcpOption.CapableForm;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.MptcpOption.MpFail;
import io.jmptcp.core.wire.MptcpOption.MpFastclose;
import io.jmptcp.core.wire.MptcpOption.MpJoinAck;
import io.jmptcp.core.wire.MptcpOption.MpJoinSyn;
import io.jmptcp.core.wire.MptcpOption.MpJoinSynAck;
import io.jmptcp.core.wire.MptcpOption.MpPrio;
import io.jmptcp.core.wire.MptcpOption.MpTcpRst;
import io.jmptcp.core.wire.MptcpOption.MptcpMalformed;
import io.jmptcp.core.wire.MptcpOption.MptcpUnknown;
import io.jmptcp.core.wire.MptcpOption.RemoveAddr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte vectors for every MPTCP option form (RFC 8684 section 3; lengths and bit positions as in
 * the wire-facts sheet sections 0-5 and Linux net/mptcp/options.c), checked both ways.
 */
class MptcpOptionCodecTest {
    // Keys, nonces, HMACs and the DSN of the wire-facts sheet's worked examples (sections 2, 3.3, 5.1).
    static final long KEY_A = 0x0102030405060708L;
    static final long KEY_B = 0x1122334455667788L;
    static final long DSN_A = 0xf5a101d3d29d6f73L;

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<Arguments> vectors() {
        return Stream.of(
                // MP_CAPABLE (section 3.1). Linux SYN: version 1, H; with checksums A|H.
                Arguments.of("1e 04 01 01", MpCapable.syn(0x01)),
                Arguments.of("1e 04 01 81", MpCapable.syn(0x81)),
                Arguments.of("1e 04 01 21", MpCapable.syn(0x21)),
                // A future version on the SYN is accepted and reported, as Linux does.
                Arguments.of("1e 04 02 01", new MpCapable(CapableForm.SYN, 2, 0x01, 0, 0, 0, 0)),
                Arguments.of("1e 0c 01 01 1122334455667788", MpCapable.synAck(0x01, KEY_B)),
                Arguments.of("1e 14 01 01 0102030405060708 1122334455667788",
                        MpCapable.ack(0x01, KEY_A, KEY_B)),
                Arguments.of("1e 16 01 01 0102030405060708 1122334455667788 000c",
                        MpCapable.ackData(0x01, KEY_A, KEY_B, 12)),
                Arguments.of("1e 18 01 81 0102030405060708 1122334455667788 000c 3494",
                        MpCapable.ackDataCsum(0x81, KEY_A, KEY_B, 12, 0x3494)),
                // MP_JOIN (section 3.2): token of Key-B, nonces and HMACs of the sheet's section 3.3.
                Arguments.of("1e 0c 10 00 1dce6604 01020304", new MpJoinSyn(false, 0, 0x1dce6604, 0x01020304)),
                Arguments.of("1e 0c 11 02 1dce6604 01020304", new MpJoinSyn(true, 2, 0x1dce6604, 0x01020304)),
                Arguments.of("1e 10 10 00 653157cd5c2a45c9 a1b2c3d4",
                        new MpJoinSynAck(false, 0, 0x653157cd5c2a45c9L, 0xa1b2c3d4)),
                Arguments.of("1e 10 11 07 653157cd5c2a45c9 a1b2c3d4",
                        new MpJoinSynAck(true, 7, 0x653157cd5c2a45c9L, 0xa1b2c3d4)),
                Arguments.of("1e 18 10 00 4dfcd80fa98e00193081f3c351049e542a026f2c",
                        new MpJoinAck(bytes("4dfcd80fa98e00193081f3c351049e542a026f2c"))),
                // DSS (section 3.3): every combination of DATA_ACK 0/4/8, mapping 0/4/8, F, checksum.
                Arguments.of("1e 04 20 00", new Dss(false, false, 0, false, false, 0, 0, 0, false, false, 0)),
                Arguments.of("1e 08 20 01 d29d6f80",
                        new Dss(true, false, 0xd29d6f80L, false, false, 0, 0, 0, false, false, 0)),
                Arguments.of("1e 0c 20 03 f5a101d3d29d6f80", Dss.ackOnly(0xf5a101d3d29d6f80L)),
                Arguments.of("1e 0e 20 04 d29d6f73 00000001 000c",
                        new Dss(false, false, 0, true, false, 0xd29d6f73L, 1, 12, false, false, 0)),
                Arguments.of("1e 12 20 0c f5a101d3d29d6f73 00000001 000c",
                        new Dss(false, false, 0, true, true, DSN_A, 1, 12, false, false, 0)),
                Arguments.of("1e 14 20 05 62815714 d29d6f73 00000001 000c 3494",
                        new Dss(true, false, 0x62815714L, true, false, 0xd29d6f73L, 1, 12, false, true, 0x3494)),
                // Linux data segment: 64-bit DATA_ACK and 64-bit mapping, 26 bytes (then 2 NOPs).
                Arguments.of("1e 1a 20 0f 62815714b76ae9a6 f5a101d3d29d6f73 00000001 000c",
                        new Dss(true, true, 0x62815714b76ae9a6L, true, true, DSN_A, 1, 12, false, false, 0)),
                Arguments.of("1e 1c 20 0f 62815714b76ae9a6 f5a101d3d29d6f73 00000001 000c 3494",
                        new Dss(true, true, 0x62815714b76ae9a6L, true, true, DSN_A, 1, 12, false, true, 0x3494)),
                Arguments.of("1e 16 20 0d 62815714 f5a101d3d29d6f73 00000001 000c",
                        new Dss(true, false, 0x62815714L, true, true, DSN_A, 1, 12, false, false, 0)),
                Arguments.of("1e 16 20 07 62815714b76ae9a6 d29d6f73 00000001 000c",
                        new Dss(true, true, 0x62815714b76ae9a6L, true, false, 0xd29d6f73L, 1, 12, false, false, 0)),
                // Linux DATA_FIN alone: M m F with DSN = FIN byte, SSN 0, DLL 1 (sheet 4.3), checksum 0xc66c.
                Arguments.of("1e 1a 20 1f 62815714b76ae9a6 f5a101d3d29d6f7f 00000000 0001",
                        new Dss(true, true, 0x62815714b76ae9a6L, true, true, 0xf5a101d3d29d6f7fL, 0, 1, true, false, 0)),
                Arguments.of("1e 1c 20 1f 62815714b76ae9a6 f5a101d3d29d6f7f 00000000 0001 c66c",
                        new Dss(true, true, 0x62815714b76ae9a6L, true, true, 0xf5a101d3d29d6f7fL, 0, 1, true, true, 0xc66c)),
                // Infinite mapping (DLL 0, checksum 0).
                Arguments.of("1e 1c 20 0f 62815714b76ae9a6 f5a101d3d29d6f73 00000001 0000 0000",
                        new Dss(true, true, 0x62815714b76ae9a6L, true, true, DSN_A, 1, 0, false, true, 0)),
                // ADD_ADDR v1 (section 3.4.1), HMACs of the sheet's worked example 5.1.
                Arguments.of("1e 10 30 01 c0a80102 4e3d4eacfba310a2",
                        new AddAddr(false, 1, ip("192.168.1.2"), -1, 0x4e3d4eacfba310a2L)),
                Arguments.of("1e 12 30 01 c0a80102 1f90 e58d90f60101449f",
                        new AddAddr(false, 1, ip("192.168.1.2"), 8080, 0xe58d90f60101449fL)),
                Arguments.of("1e 1c 30 02 20010db8000000000000000000000001 0102030405060708",
                        new AddAddr(false, 2, ip("2001:db8::1"), -1, KEY_A)),
                Arguments.of("1e 1e 30 02 20010db8000000000000000000000001 01bb 0102030405060708",
                        new AddAddr(false, 2, ip("2001:db8::1"), 443, KEY_A)),
                Arguments.of("1e 08 31 01 c0a80102", new AddAddr(true, 1, ip("192.168.1.2"), -1, 0)),
                Arguments.of("1e 0a 31 01 c0a80102 1f90", new AddAddr(true, 1, ip("192.168.1.2"), 8080, 0)),
                Arguments.of("1e 14 31 02 20010db8000000000000000000000001",
                        new AddAddr(true, 2, ip("2001:db8::1"), -1, 0)),
                Arguments.of("1e 16 31 02 20010db8000000000000000000000001 0050",
                        new AddAddr(true, 2, ip("2001:db8::1"), 80, 0)),
                // An IPv4-mapped IPv6 address stays 16 bytes on the wire.
                Arguments.of("1e 14 31 03 00000000000000000000ffffc0a80102",
                        new AddAddr(true, 3, Bytes.address(bytes("00000000000000000000ffffc0a80102")), -1, 0)),
                // REMOVE_ADDR (section 3.4.2): 1 to 8 ids.
                Arguments.of("1e 04 40 01", new RemoveAddr(List.of(1))),
                Arguments.of("1e 0b 40 01 02 03 04 05 06 07 ff", new RemoveAddr(List.of(1, 2, 3, 4, 5, 6, 7, 255))),
                // MP_PRIO (section 3.3.8), MP_FAIL (3.7), MP_FASTCLOSE (3.5), MP_TCPRST (3.6).
                Arguments.of("1e 03 51", new MpPrio(true)),
                Arguments.of("1e 03 50", new MpPrio(false)),
                Arguments.of("1e 0c 60 00 f5a101d3d29d6f73", new MpFail(DSN_A)),
                Arguments.of("1e 0c 70 00 1122334455667788", new MpFastclose(KEY_B)),
                Arguments.of("1e 04 81 01", new MpTcpRst(MpTcpRst.FLAG_TRANSIENT, MpTcpRst.REASON_MPTCP_ERROR)),
                Arguments.of("1e 04 80 06", new MpTcpRst(0, MpTcpRst.REASON_MIDDLEBOX_INTERFERENCE)),
                // Unknown subtypes (MP_EXPERIMENTAL 0xf, unassigned 0x9) keep every byte.
                Arguments.of("1e 05 f0 aa bb", new MptcpUnknown(0xf, bytes("1e 05 f0 aa bb"))),
                Arguments.of("1e 03 93", new MptcpUnknown(0x9, bytes("1e 03 93"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void parsesVector(String hexBytes, MptcpOption expected) {
        byte[] b = bytes(hexBytes);
        // Garbage on both sides: the parse must only see its own range.
        ByteBuffer buf = ByteBuffer.allocate(b.length + 6);
        buf.put(0, bytes("a5a5a5")).put(3, b).put(3 + b.length, bytes("5a5a5a"));
        MptcpOption got = MptcpOptionCodec.parse(buf, 3, b.length);
        assertEquals(expected, got);
        assertEquals(b.length, got.length());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void emitsVector(String hexBytes, MptcpOption record) {
        byte[] b = bytes(hexBytes);
        ByteBuffer out = ByteBuffer.allocate(b.length + 2);
        out.position(1);
        MptcpOptionCodec.emit(record, out);
        assertEquals(1 + b.length, out.position());
        byte[] written = new byte[b.length];
        out.get(1, written);
        assertEquals(hex(b), hex(written));
        assertEquals(0, out.get(1 + b.length), "wrote past the option");
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("1e 02", -1, "MPTCP option of length 2 has no subtype"),
                Arguments.of("1e 05 01 01 00", 0, "bad length 5 for MP_CAPABLE"),
                Arguments.of("1e 04 00 01", 0, "unsupported version 0"),
                Arguments.of("1e 0c 00 01 1122334455667788", 0, "unsupported version 0"),
                Arguments.of("1e 0c 02 01 1122334455667788", 0, "unsupported version 2"),
                Arguments.of("1e 14 02 01 0102030405060708 1122334455667788", 0, "unsupported version 2"),
                Arguments.of("1e 0d 10 00 1dce6604 01020304 00", 1, "bad length 13 for MP_JOIN"),
                Arguments.of("1e 03 10", 1, "bad length 3 for MP_JOIN"),
                Arguments.of("1e 08 20 03 00000000", 2,
                        "DSS length 8 does not match flags 0x3 (expected 12 or 14)"),
                Arguments.of("1e 1a 20 0d 62815714 f5a101d3d29d6f73 00000001 000c 0000 0000", 2,
                        "DSS length 26 does not match flags 0xd (expected 22 or 24)"),
                Arguments.of("1e 03 20", 2, "bad length 3 for DSS"),
                Arguments.of("1e 10 31 01 c0a80102 4e3d4eacfba310a2", 3, "bad length 16 for ADD_ADDR with E=1"),
                Arguments.of("1e 08 30 01 c0a80102", 3, "bad length 8 for ADD_ADDR with E=0"),
                Arguments.of("1e 03 30", 3, "bad length 3 for ADD_ADDR with E=0"),
                Arguments.of("1e 03 40", 4, "bad length 3 for REMOVE_ADDR"),
                Arguments.of("1e 0c 40 01 02 03 04 05 06 07 08 09", 4, "bad length 12 for REMOVE_ADDR"),
                Arguments.of("1e 04 51 00", 5, "bad length 4 for MP_PRIO"),
                Arguments.of("1e 08 60 00 d29d6f73", 6, "bad length 8 for MP_FAIL"),
                Arguments.of("1e 0a 70 00 112233445566", 7,
                        "bad length 10 for MP_FASTCLOSE"),
                Arguments.of("1e 03 81", 8, "bad length 3 for MP_TCPRST"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("malformed")
    void rejectsMalformed(String hexBytes, int subtype, String reason) {
        byte[] b = bytes(hexBytes);
        MptcpOption got = MptcpOptionCodec.parse(ByteBuffer.wrap(b), 0, b.length);
        assertEquals(new MptcpMalformed(subtype, reason, b), got);
        // A malformed option is re-emitted byte for byte.
        ByteBuffer out = ByteBuffer.allocate(b.length);
        MptcpOptionCodec.emit(got, out);
        assertEquals(hex(b), hex(out.array()));
    }
}
