package io.jmptcp.core.wire;

import static io.jmptcp.core.wire.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ChecksumTest {

    /** A plain 16-bit-at-a-time reference sum, written independently of the optimised one. */
    static int referenceSum(byte[] data) {
        long sum = 0;
        for (int i = 0; i < data.length; i += 2) {
            int hi = data[i] & 0xff;
            int lo = i + 1 < data.length ? data[i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while (sum > 0xffff) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) sum;
    }

    @Test
    void rfc1071Example() {
        // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
        ByteBuffer b = ByteBuffer.wrap(bytes("0001f203f4f5f6f7"));
        assertEquals(0xddf2, Checksum.fold(Checksum.add(0, b, 0, 8)));
        assertEquals(0x220d, Checksum.internet(b, 0, 8));
    }

    @Test
    void ipv4HeaderChecksum() {
        // A 20-byte IPv4 header (UDP, 192.168.0.1 -> 192.168.0.199); checksum b861.
        ByteBuffer h = ByteBuffer.wrap(bytes("45000073000040004011 b861 c0a80001c0a800c7"));
        assertEquals(0xb861, Checksum.ipv4Header(h, 0, 20));
        assertEquals(0xffff, Checksum.fold(Checksum.add(0, h, 0, 20)), "valid header sums to 0xffff");
        h.putShort(10, (short) 0x1234); // the stored field does not matter
        assertEquals(0xb861, Checksum.ipv4Header(h, 0, 20));
    }

    @Test
    void dssChecksumWorkedExamples() {
        // Wire-facts sheet section 4.4 (computed with the sheet's mptcp_vectors.py).
        byte[] hello = "hello world\n".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer p = ByteBuffer.wrap(hello);
        assertEquals(0x3494, Checksum.dss(0xf5a101d3d29d6f73L, 1, 12, p, 0, hello.length));
        assertTrue(Checksum.dssValid(0xf5a101d3d29d6f73L, 1, 12, 0x3494, p, 0, hello.length));
        assertFalse(Checksum.dssValid(0xf5a101d3d29d6f73L, 1, 12, 0x3495, p, 0, hello.length));
        assertFalse(Checksum.dssValid(0xf5a101d3d29d6f74L, 1, 12, 0x3494, p, 0, hello.length));
        // DATA_FIN alone: DSN of the FIN byte, SSN 0, DLL 1, no payload.
        assertEquals(0xc66c, Checksum.dss(0xf5a101d3d29d6f7fL, 0, 1, ByteBuffer.allocate(0), 0, 0));
    }

    @Test
    void dssChecksumAcrossOddSegments() {
        // A mapping split 5 + 7 bytes: the second piece starts at an odd stream position.
        byte[] hello = "hello world\n".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer p = ByteBuffer.wrap(hello);
        int acc = Checksum.dssPseudoHeader(0xf5a101d3d29d6f73L, 1, 12);
        acc = Checksum.add(acc, p, 0, 5, 0);
        acc = Checksum.add(acc, p, 5, 7, 5);
        assertEquals(0x3494, Checksum.finish(acc));
    }

    @Property
    void optimisedSumEqualsReference(@ForAll @Size(max = 100) byte[] data,
                                     @ForAll boolean littleEndianBuffer) {
        ByteBuffer b = ByteBuffer.wrap(data).order(littleEndianBuffer ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int ref = referenceSum(data);
        assertEquals(ref, Checksum.fold(Checksum.add(0, b, 0, data.length)));
        assertEquals(ref, Checksum.fold(Checksum.add(0, data, 0, data.length)));
    }

    @Property
    void splitAnywhereWithStreamPosition(@ForAll @Size(max = 64) byte[] data, @ForAll @IntRange(max = 64) int cut) {
        int c = Math.min(cut, data.length);
        ByteBuffer b = ByteBuffer.wrap(data);
        int acc = Checksum.add(0, b, 0, c, 0);
        acc = Checksum.add(acc, b, c, data.length - c, c);
        assertEquals(referenceSum(data), Checksum.fold(acc));
    }

    @Property
    void incrementalUpdateMatchesRecomputation(@ForAll @Size(min = 20, max = 60) byte[] data,
                                               @ForAll @IntRange(max = 8) int word, @ForAll int newValue,
                                               @ForAll boolean wide) {
        // Field at 2*word (16-bit) or 4*word (32-bit) in a header whose checksum is kept separately.
        ByteBuffer b = ByteBuffer.wrap(data);
        int before = Checksum.internet(b, 0, data.length);
        int updated;
        if (wide) {
            int at = 4 * (word % 5);
            int old = b.getInt(at);
            b.putInt(at, newValue);
            updated = Checksum.update32(before, old, newValue);
        } else {
            int at = 2 * word;
            int old = b.getShort(at) & 0xffff;
            b.putShort(at, (short) newValue);
            updated = Checksum.update16(before, old, newValue & 0xffff);
        }
        int recomputed = Checksum.internet(b, 0, data.length);
        // RFC 1624 section 5: eqn. 3 can only differ from recomputation by the two forms of zero.
        assertEquals(Checksum.fold(~recomputed & 0xffff) % 0xffff, Checksum.fold(~updated & 0xffff) % 0xffff);
    }

    @Test
    void incrementalUpdateOfAnIpv4Header() {
        ByteBuffer h = ByteBuffer.wrap(bytes("45000073000040004011 b861 c0a80001c0a800c7"));
        // TTL 64 -> 63 (the TTL/protocol word 0x4011 -> 0x3f11).
        int updated = Checksum.update16(0xb861, 0x4011, 0x3f11);
        h.put(8, (byte) 0x3f);
        assertEquals(Checksum.ipv4Header(h, 0, 20), updated);
        // Destination address rewrite (NAT): 192.168.0.199 -> 10.0.0.1.
        int updated2 = Checksum.update32(updated, 0xc0a800c7, 0x0a000001);
        h.putInt(16, 0x0a000001);
        assertEquals(Checksum.ipv4Header(h, 0, 20), updated2);
    }

    @Test
    void accumulatorHelpersAgreeWithBytes() {
        ByteBuffer b = ByteBuffer.wrap(bytes("0102030405060708 090a0b0c 0d0e"));
        int acc = Checksum.add16(Checksum.add32(Checksum.add64(0, 0x0102030405060708L), 0x090a0b0c), 0x0d0e);
        assertEquals(Checksum.fold(Checksum.add(0, b, 0, 14)), acc);
    }
}
