package io.jmptcp.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.wire.Checksum;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.net.InetAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** {@link VirtioNetHdr}, {@link TcpCoalescer} and {@link GsoSplitter} without a device. */
class GsoTest {
    private static final Inet4Address A4 = v4("10.3.1.1");
    private static final Inet4Address B4 = v4("10.2.1.1");
    private static final Inet6Address A6 = v6("fd00::1");
    private static final Inet6Address B6 = v6("fd00:2::1");

    /** One flow's run of segments, all of which a coalescer may join. */
    record Flow(boolean ipv6, int mss, int full, int last, boolean psh, boolean fin, boolean cwr, boolean ece,
                boolean timestamps, boolean dontFragment, int id0, int seq0, int window, long seed) {
    }

    @Test
    void virtioHeaderIsLittleEndianTenBytes() {
        VirtioNetHdr h = new VirtioNetHdr();
        h.flags = VirtioNetHdr.F_NEEDS_CSUM;
        h.gsoType = VirtioNetHdr.GSO_TCPV6 | VirtioNetHdr.GSO_ECN;
        h.hdrLen = 0x0102;
        h.gsoSize = 1448;
        h.csumStart = 40;
        h.csumOffset = 16;
        ByteBuffer b = ByteBuffer.allocate(12);
        h.encode(b, 1);
        assertArrayEquals(new byte[] {0, 1, (byte) 0x84, 2, 1, (byte) 0xa8, 5, 40, 0, 16, 0, 0}, b.array());
        VirtioNetHdr d = new VirtioNetHdr().decode(b, 1);
        assertEquals(h.toString(), d.toString());
        assertEquals(VirtioNetHdr.GSO_TCPV6, d.gsoKind());
    }

    @Property(tries = 300)
    void splittingTheCoalescedRunGivesBackEverySegment(@ForAll("flows") Flow flow) throws Exception {
        List<byte[]> segments = segments(flow);
        List<byte[]> frames = coalesce(segments, true);
        assertEquals(1, frames.size(), "a joinable run is one frame");
        VirtioNetHdr h = new VirtioNetHdr().decode(ByteBuffer.wrap(frames.get(0)), 0);
        if (segments.size() > 1) {
            assertEquals(VirtioNetHdr.F_NEEDS_CSUM, h.flags);
            assertEquals(flow.ipv6() ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4, h.gsoKind());
            assertEquals(flow.mss(), h.gsoSize);
            assertEquals(flow.ipv6() ? 40 : 20, h.csumStart);
            assertEquals(16, h.csumOffset);
        } else {
            assertEquals(VirtioNetHdr.GSO_NONE, h.gsoType);
        }
        assertSameBytes(segments, split(frames));
    }

    /** Two interleaved flows, pure ACKs, options that change: whatever is joined or not, nothing changes. */
    @Property(tries = 200)
    void anyMixOfSegmentsSurvivesTheRoundTrip(@ForAll("flows") Flow a, @ForAll("flows") Flow b,
                                              @ForAll long seed, @ForAll boolean enabled) throws Exception {
        Random r = new Random(seed);
        List<byte[]> sa = segments(a);
        List<byte[]> sb = segments(new Flow(b.ipv6(), b.mss(), b.full(), b.last(), b.psh(), b.fin(), b.cwr(), b.ece(),
                b.timestamps(), b.dontFragment(), b.id0(), b.seq0(), b.window(), b.seed()), 4000);
        List<byte[]> mixed = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < sa.size() || j < sb.size()) {
            int pick = r.nextInt(10);
            if (pick == 0) {
                mixed.add(pureAck(a.ipv6(), r.nextInt()));
            } else if (i < sa.size() && (pick < 6 || j == sb.size())) {
                mixed.add(sa.get(i++));
            } else if (j < sb.size()) {
                mixed.add(sb.get(j++));
            }
        }
        List<byte[]> frames = coalesce(mixed, enabled);
        if (!enabled) {
            assertEquals(mixed.size(), frames.size());
        }
        assertSameBytes(mixed, split(frames));
    }

    @Test
    void atomicDatagramsWithIdZeroAreJoinedAndComeBackWithIncrementedIds() throws Exception {
        Flow f = new Flow(false, 1000, 3, 500, true, false, false, false, true, true, 0, 77, 512, 1);
        List<byte[]> segments = segments(f, 0);
        List<byte[]> frames = coalesce(segments, true);
        assertEquals(1, frames.size());
        List<byte[]> back = split(frames);
        assertEquals(segments.size(), back.size());
        for (int i = 0; i < back.size(); i++) {
            ByteBuffer p = ByteBuffer.wrap(back.get(i));
            assertEquals(i, IpTcp.u16(p, 4), "identification");
            assertEquals(0, Checksum.internet(p, 0, 20) & 0xffff, "IPv4 header checksum");
            assertTrue(Checksum.tcpValid(IpTcp.pseudoHeader(p, 0, p.capacity() - 20), p, 20, p.capacity() - 20));
            ByteBuffer o = ByteBuffer.wrap(segments.get(i));
            assertEquals(o.slice(12, o.capacity() - 12), p.slice(12, p.capacity() - 12), "all but id and header checksum");
        }
    }

    @Test
    void changingOptionsStartANewFrame() throws Exception {
        List<byte[]> segments = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            segments.add(segment(false, 1000, 1000 + i * 100, i, TcpHeader.ACK, List.of(new TcpOption.Timestamps(i / 2, 9)),
                    new byte[100], true));
        }
        List<byte[]> frames = coalesce(segments, true);
        assertEquals(2, frames.size(), "timestamps 0,0 then 1,1");
        assertSameBytes(segments, split(frames));
    }

    @Test
    void superFrameChecksumFieldHoldsTheFoldedPseudoHeaderSum() throws Exception {
        Flow f = new Flow(false, 1200, 5, 1200, false, false, false, false, true, true, 0, 1, 100, 3);
        byte[] frame = coalesce(segments(f, 0), true).get(0);
        ByteBuffer p = ByteBuffer.wrap(frame, VirtioNetHdr.LENGTH, frame.length - VirtioNetHdr.LENGTH).slice();
        int tcpLength = p.capacity() - 20;
        assertEquals(p.capacity(), IpTcp.u16(p, 2), "IPv4 total length of the whole super-segment");
        assertEquals(0, Checksum.internet(p, 0, 20) & 0xffff, "a valid IPv4 header checksum");
        assertEquals(IpTcp.pseudoHeader(p, 0, tcpLength), IpTcp.u16(p, 20 + 16));
        // What a device does with NEEDS_CSUM: sum from csum_start to the end, store the complement.
        int sum = Checksum.add(0, p, 20, tcpLength);
        IpTcp.put16(p, 36, Checksum.finish(sum));
        assertTrue(Checksum.tcpValid(IpTcp.pseudoHeader(p, 0, tcpLength), p, 20, tcpLength));
    }

    @Test
    void needsCsumWithoutGsoIsCompleted() {
        byte[] seg = segment(true, 5, 1, 0, TcpHeader.ACK | TcpHeader.PSH, List.of(), new byte[333], true);
        ByteBuffer partial = ByteBuffer.wrap(seg.clone());
        int tcpLength = seg.length - 40;
        IpTcp.put16(partial, 40 + 16, IpTcp.pseudoHeader(partial, 0, tcpLength));
        VirtioNetHdr h = new VirtioNetHdr().none();
        h.flags = VirtioNetHdr.F_NEEDS_CSUM;
        h.csumStart = 40;
        h.csumOffset = 16;
        GsoSplitter s = new GsoSplitter();
        assertEquals(1, s.begin(partial, 0, seg.length, h));
        ByteBuffer out = ByteBuffer.allocate(2000);
        assertEquals(seg.length, s.next(out));
        assertArrayEquals(seg, bytes(out));
    }

    @Test
    void malformedSuperPacketsAreDroppedAndCounted() {
        byte[] seg = segment(false, 5, 1, 0, TcpHeader.ACK, List.of(), new byte[3000], true);
        ByteBuffer p = ByteBuffer.wrap(seg);
        GsoSplitter s = new GsoSplitter();
        VirtioNetHdr h = new VirtioNetHdr().none();
        h.gsoType = VirtioNetHdr.GSO_UDP;
        h.gsoSize = 1000;
        assertEquals(0, s.begin(p, 0, seg.length, h));
        h.gsoType = VirtioNetHdr.GSO_TCPV4;
        h.gsoSize = 0;
        assertEquals(0, s.begin(p, 0, seg.length, h));
        h.gsoType = VirtioNetHdr.GSO_TCPV6;
        h.gsoSize = 1000;
        assertEquals(0, s.begin(p, 0, seg.length, h), "an IPv4 packet labelled TCPV6");
        assertEquals(0, s.begin(p, 0, seg.length - 1, gso(VirtioNetHdr.GSO_TCPV4, 1000)), "truncated");
        assertEquals(4, s.malformed());
        assertEquals(3, s.begin(p, 0, seg.length, gso(VirtioNetHdr.GSO_TCPV4, 1000)));
        assertEquals(-1, s.next(ByteBuffer.allocate(500)), "a piece larger than the buffer");
        assertEquals(5, s.malformed());
        assertTrue(s.next(ByteBuffer.allocate(1100)) > 0);
    }

    /** The splitter does not trust hdr_len: a wrong one changes nothing. */
    @Test
    void hdrLenIsNotTrusted() {
        byte[] seg = segment(false, 5, 1, 0, TcpHeader.ACK, List.of(new TcpOption.Timestamps(1, 2)), new byte[2500], true);
        VirtioNetHdr h = gso(VirtioNetHdr.GSO_TCPV4, 1000);
        h.hdrLen = 7;
        GsoSplitter s = new GsoSplitter();
        assertEquals(3, s.begin(ByteBuffer.wrap(seg), 0, seg.length, h));
        ByteBuffer out = ByteBuffer.allocate(2000);
        assertEquals(20 + 32 + 1000, s.next(out));
        assertNotEquals(0, out.limit());
    }

    // ---- helpers ---------------------------------------------------------------------------

    @Provide
    Arbitrary<Flow> flows() {
        Arbitrary<Boolean> bool = Arbitraries.of(true, false);
        return Combinators.combine(
                Combinators.combine(bool, Arbitraries.integers().between(1, 1460), Arbitraries.integers().between(0, 50),
                        Arbitraries.integers().between(1, 1460), bool, bool, bool, bool).as(List::of),
                Combinators.combine(bool, bool, Arbitraries.integers().between(0, 0xffff), Arbitraries.integers(),
                        Arbitraries.integers().between(0, 0xffff), Arbitraries.longs()).as(List::of))
                .as((x, y) -> {
                    int mss = (Integer) x.get(1);
                    int full = Math.min((Integer) x.get(2), 60000 / mss);
                    int last = Math.min((Integer) x.get(3), mss);
                    return new Flow((Boolean) x.get(0), mss, full, last, (Boolean) x.get(4), (Boolean) x.get(5),
                            (Boolean) x.get(6), (Boolean) x.get(7), (Boolean) y.get(0), (Boolean) y.get(1),
                            (Integer) y.get(2), (Integer) y.get(3), (Integer) y.get(4), (Long) y.get(5));
                });
    }

    private static List<byte[]> segments(Flow f) {
        return segments(f, 1000);
    }

    /** {@code full} segments of {@code mss} bytes then one of {@code last}, from the stack's own encoder. */
    private static List<byte[]> segments(Flow f, int port) {
        Random r = new Random(f.seed());
        List<byte[]> out = new ArrayList<>();
        int seq = f.seq0();
        int n = f.full() + 1;
        for (int i = 0; i < n; i++) {
            boolean lastOne = i == n - 1;
            int len = lastOne ? f.last() : f.mss();
            int flags = TcpHeader.ACK | (f.ece() ? TcpHeader.ECE : 0) | (i == 0 && f.cwr() ? TcpHeader.CWR : 0)
                    | (lastOne && f.psh() ? TcpHeader.PSH : 0) | (lastOne && f.fin() ? TcpHeader.FIN : 0);
            byte[] payload = new byte[len];
            r.nextBytes(payload);
            List<TcpOption> options = f.timestamps() ? List.of(new TcpOption.Nop(), new TcpOption.Nop(),
                    new TcpOption.Timestamps(123456, 654321)) : List.of();
            out.add(segment(f.ipv6(), port + 5000, seq, (f.id0() + i) & 0xffff, flags, options, payload,
                    f.dontFragment(), f.window()));
            seq += len;
        }
        return out;
    }

    private static byte[] segment(boolean ipv6, int port, int seq, int id, int flags, List<TcpOption> options,
                                  byte[] payload, boolean df) {
        return segment(ipv6, port, seq, id, flags, options, payload, df, 1000);
    }

    private static byte[] segment(boolean ipv6, int port, int seq, int id, int flags, List<TcpOption> options,
                                  byte[] payload, boolean df, int window) {
        TcpHeader tcp = new TcpHeader(port, 80, seq, 0x01020304, flags, window, 0, 0, options);
        ByteBuffer out = ByteBuffer.allocate(66000);
        ByteBuffer data = ByteBuffer.wrap(payload);
        int n = ipv6
                ? IpPacketCodec.emitIpv6(out, 0, IpPacketCodec.Ipv6Fields.of(A6, B6, 64), tcp, data, 0, payload.length)
                : IpPacketCodec.emitIpv4(out, 0, new IpPacketCodec.Ipv4Fields(ip(A4), ip(B4), 0, 64, id, df), tcp, data, 0,
                        payload.length);
        byte[] b = new byte[n];
        out.get(0, b);
        return b;
    }

    private static byte[] pureAck(boolean ipv6, int ack) {
        return segment(ipv6, 7, ack, 0, TcpHeader.ACK, List.of(), new byte[0], true);
    }

    private static List<byte[]> coalesce(List<byte[]> segments, boolean enabled) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        TcpCoalescer c = new TcpCoalescer(64, enabled);
        for (byte[] s : segments) {
            // Offered from the middle of a larger buffer, as the stack's ring slots may be.
            ByteBuffer b = ByteBuffer.allocateDirect(s.length + 10);
            b.position(5);
            b.put(s);
            b.limit(5 + s.length).position(5);
            c.add(b, f -> frames.add(bytes(f)));
            assertEquals(5, b.position(), "the caller's buffer is left as it was");
        }
        c.flush(f -> frames.add(bytes(f)));
        return frames;
    }

    private static List<byte[]> split(List<byte[]> frames) {
        GsoSplitter s = new GsoSplitter();
        VirtioNetHdr h = new VirtioNetHdr();
        List<byte[]> out = new ArrayList<>();
        ByteBuffer piece = ByteBuffer.allocateDirect(1600);
        for (byte[] f : frames) {
            ByteBuffer b = ByteBuffer.wrap(f);
            h.decode(b, 0);
            assertTrue(s.begin(b, VirtioNetHdr.LENGTH, f.length - VirtioNetHdr.LENGTH, h) > 0, h.toString());
            while (s.hasNext()) {
                assertTrue(s.next(piece) > 0);
                out.add(bytes(piece));
            }
        }
        assertEquals(0, s.malformed());
        return out;
    }

    private static void assertSameBytes(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "packet count");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "packet " + i);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(b.position(), a);
        return a;
    }

    private static VirtioNetHdr gso(int type, int size) {
        VirtioNetHdr h = new VirtioNetHdr().none();
        h.gsoType = type;
        h.gsoSize = size;
        return h;
    }

    private static int ip(Inet4Address a) {
        return ByteBuffer.wrap(a.getAddress()).getInt();
    }

    private static Inet4Address v4(String s) {
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Inet6Address v6(String s) {
        try {
            return (Inet6Address) InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
