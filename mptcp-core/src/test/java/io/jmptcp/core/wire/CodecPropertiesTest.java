package io.jmptcp.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.wire.IpPacketCodec.Ipv4Fields;
import io.jmptcp.core.wire.IpPacketCodec.Ipv6Fields;
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
import io.jmptcp.core.wire.MptcpOption.MptcpUnknown;
import io.jmptcp.core.wire.MptcpOption.RemoveAddr;
import io.jmptcp.core.wire.TcpOption.Mss;
import io.jmptcp.core.wire.TcpOption.Sack;
import io.jmptcp.core.wire.TcpOption.SackBlock;
import io.jmptcp.core.wire.TcpOption.SackPermitted;
import io.jmptcp.core.wire.TcpOption.Timestamps;
import io.jmptcp.core.wire.TcpOption.Unknown;
import io.jmptcp.core.wire.TcpOption.WindowScale;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the wire codec: emit then parse is the identity for every valid record; parsing
 * arbitrary bytes never throws and depends only on the bytes inside the given range.
 */
class CodecPropertiesTest {

    // ---- generators ------------------------------------------------------------------------

    static Arbitrary<Integer> u8() { return Arbitraries.integers().between(0, 255); }

    static Arbitrary<Integer> u16() { return Arbitraries.integers().between(0, 0xffff); }

    static Arbitrary<Long> u32() { return Arbitraries.longs().between(0, 0xffffffffL); }

    static Arbitrary<MpCapable> mpCapable() {
        return Combinators.combine(Arbitraries.of(CapableForm.class), Arbitraries.integers().between(1, 15), u8(),
                Arbitraries.longs(), Arbitraries.longs(), u16(), u16()).as((form, v, flags, sk, rk, dll, csum) ->
                new MpCapable(form, form == CapableForm.SYN ? v : 1, flags,
                        form == CapableForm.SYN ? 0 : sk,
                        form.length >= CapableForm.ACK.length ? rk : 0,
                        form.length >= CapableForm.ACK_DATA.length ? dll : 0,
                        form == CapableForm.ACK_DATA_CSUM ? csum : 0));
    }

    static Arbitrary<Dss> dss() {
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        return Combinators.combine(b, b, Arbitraries.longs(), b, b, Arbitraries.longs(), Arbitraries.integers(),
                        u16())
                .flatAs((hasAck, ack64, ack, hasMap, dsn64, dsn, ssn, dll) -> Combinators.combine(b, b, u16())
                        .as((fin, hasCsum, csum) -> new Dss(hasAck, ack64,
                                !hasAck ? 0 : ack64 ? ack : ack & 0xffffffffL,
                                hasMap, dsn64, !hasMap ? 0 : dsn64 ? dsn : dsn & 0xffffffffL,
                                hasMap ? ssn : 0, hasMap ? dll : 0, fin, hasCsum, hasCsum ? csum : 0)));
    }

    static Arbitrary<AddAddr> addAddr() {
        Arbitrary<byte[]> addr = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofSize(4),
                Arbitraries.bytes().array(byte[].class).ofSize(16));
        return Combinators.combine(Arbitraries.of(true, false), u8(), addr,
                Arbitraries.oneOf(Arbitraries.just(-1), u16()), Arbitraries.longs())
                .as((echo, id, a, port, hmac) -> new AddAddr(echo, id, Bytes.address(a), port, echo ? 0 : hmac));
    }

    static Arbitrary<MptcpUnknown> mptcpUnknown() {
        return Combinators.combine(Arbitraries.integers().between(9, 15), Arbitraries.integers().between(0, 15),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(37)).as((sub, nib, rest) -> {
                    byte[] raw = new byte[3 + rest.length];
                    raw[0] = 30;
                    raw[1] = (byte) raw.length;
                    raw[2] = (byte) (sub << 4 | nib);
                    System.arraycopy(rest, 0, raw, 3, rest.length);
                    return new MptcpUnknown(sub, raw);
                });
    }

    @Provide
    static Arbitrary<MptcpOption> mptcpOptions() {
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        Arbitrary<Integer> i = Arbitraries.integers();
        return Arbitraries.oneOf(
                mpCapable(),
                Combinators.combine(b, u8(), i, i).as(MpJoinSyn::new),
                Combinators.combine(b, u8(), Arbitraries.longs(), i).as(MpJoinSynAck::new),
                Arbitraries.bytes().array(byte[].class).ofSize(20).map(MpJoinAck::new),
                dss(),
                addAddr(),
                u8().list().ofMinSize(1).ofMaxSize(8).map(RemoveAddr::new),
                b.map(MpPrio::new),
                Arbitraries.longs().map(MpFail::new),
                Arbitraries.longs().map(MpFastclose::new),
                Combinators.combine(Arbitraries.integers().between(0, 15), u8()).as(MpTcpRst::new),
                mptcpUnknown());
    }

    @Provide
    static Arbitrary<TcpOption> tcpOptions() {
        Set<Integer> known = Set.of(0, 1, 2, 3, 4, 5, 8, 30);
        Arbitrary<SackBlock> block = Combinators.combine(Arbitraries.integers(), Arbitraries.integers()).as(SackBlock::new);
        return Arbitraries.oneOf(
                Arbitraries.just(TcpOptionCodec.NOP),
                u16().map(Mss::new),
                u8().map(WindowScale::new),
                Arbitraries.just(new SackPermitted()),
                block.list().ofMinSize(1).ofMaxSize(4).map(Sack::new),
                Combinators.combine(Arbitraries.integers(), Arbitraries.integers()).as(Timestamps::new),
                Combinators.combine(u8().filter(k -> !known.contains(k)),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(38)).as(Unknown::new),
                mptcpOptions());
    }

    /** Lists of options that fit in the 40-byte option area once padded. */
    @Provide
    static Arbitrary<List<TcpOption>> optionLists() {
        return tcpOptions().list().ofMaxSize(8).map(l -> {
            List<TcpOption> fit = new ArrayList<>();
            int sum = 0;
            for (TcpOption o : l) {
                if (sum + o.length() <= TcpHeader.MAX_OPTIONS_LENGTH) {
                    fit.add(o);
                    sum += o.length();
                }
            }
            return fit;
        });
    }

    // ---- round trips -----------------------------------------------------------------------

    @Property(tries = 2000)
    void mptcpEmitThenParseIsIdentity(@ForAll("mptcpOptions") MptcpOption opt) {
        ByteBuffer out = ByteBuffer.allocate(opt.length());
        MptcpOptionCodec.emit(opt, out);
        assertEquals(opt.length(), out.position());
        assertEquals(opt, MptcpOptionCodec.parse(out, 0, opt.length()));
    }

    @Property(tries = 2000)
    void tcpOptionEmitThenParseIsIdentity(@ForAll("tcpOptions") TcpOption opt) {
        ByteBuffer out = ByteBuffer.allocate(opt.length());
        TcpOptionCodec.emit(opt, out);
        assertEquals(List.of(opt), TcpOptionCodec.parse(out, 0, opt.length()));
    }

    @Property(tries = 1000)
    void optionListRoundTripsWithNopPadding(@ForAll("optionLists") List<TcpOption> opts) {
        ByteBuffer out = ByteBuffer.allocate(TcpHeader.MAX_OPTIONS_LENGTH);
        int n = TcpOptionCodec.emitAll(opts, out);
        assertEquals(TcpOptionCodec.paddedLength(opts), n);
        assertEquals(0, n % 4);
        List<TcpOption> expected = new ArrayList<>(opts);
        int sum = opts.stream().mapToInt(TcpOption::length).sum();
        for (int k = sum; k < n; k++) {
            expected.add(TcpOptionCodec.NOP);
        }
        assertEquals(expected, TcpOptionCodec.parse(out, 0, n));
    }

    @Property(tries = 500)
    void wholePacketRoundTrip(@ForAll("optionLists") List<TcpOption> opts, @ForAll boolean v6,
                              @ForAll int seq, @ForAll int ack, @ForAll("u8s") int flags,
                              @ForAll("u16s") int window, @ForAll("u16s") int urgent,
                              @ForAll("u16s") int srcPort, @ForAll("u16s") int dstPort,
                              @ForAll @Size(max = 200) byte[] payload, @ForAll long a, @ForAll long b) {
        List<TcpOption> padded = new ArrayList<>(opts);
        for (int k = opts.stream().mapToInt(TcpOption::length).sum(); k % 4 != 0; k++) {
            padded.add(TcpOptionCodec.NOP);
        }
        TcpHeader h = new TcpHeader(srcPort, dstPort, seq, ack, flags, window, 0, urgent, padded);
        ByteBuffer out = ByteBuffer.allocate(400);
        int n = v6
                ? IpPacketCodec.emitIpv6(out, 3, new Ipv6Fields(a, b, b, a, 0, 0, 64), h, ByteBuffer.wrap(payload), 0, payload.length)
                : IpPacketCodec.emitIpv4(out, 3, new Ipv4Fields((int) a, (int) b, 0, 64, 0, true), h, ByteBuffer.wrap(payload), 0, payload.length);
        PacketParse.Tcp t = assertInstanceOf(PacketParse.Tcp.class, IpPacketCodec.parse(out, 3, n));
        assertTrue(t.ipChecksumValid());
        assertTrue(t.tcpChecksumValid());
        assertEquals(new TcpHeader(srcPort, dstPort, seq, ack, flags, window, t.header().checksum(), urgent, padded),
                t.header());
        assertEquals(payload.length, t.payloadLength());
        assertEquals(ByteBuffer.wrap(payload), out.slice(t.payloadOffset(), t.payloadLength()));
    }

    @Provide
    static Arbitrary<Integer> u8s() { return u8(); }

    @Provide
    static Arbitrary<Integer> u16s() { return u16(); }

    // ---- arbitrary input -------------------------------------------------------------------

    /** Places {@code data} between garbage so that reads outside the range would change results. */
    static ByteBuffer surrounded(byte[] prefix, byte[] data, byte[] suffix) {
        ByteBuffer b = ByteBuffer.allocate(prefix.length + data.length + suffix.length);
        b.put(prefix).put(data).put(suffix);
        return b;
    }

    @Property(tries = 3000)
    void optionAreaParseIsTotalAndConfined(@ForAll("optionAreas") byte[] area,
                                           @ForAll @Size(max = 8) byte[] prefix, @ForAll @Size(max = 8) byte[] suffix) {
        // An exact-size buffer: any read outside the range would throw IndexOutOfBoundsException.
        List<TcpOption> alone = TcpOptionCodec.parse(ByteBuffer.wrap(area), 0, area.length);
        assertEquals(alone, TcpOptionCodec.parse(surrounded(prefix, area, suffix), prefix.length, area.length));
        // What was parsed covers exactly the bytes up to EOL or the end.
        int covered = alone.stream().mapToInt(TcpOption::length).sum();
        assertTrue(covered <= area.length);
        if (alone.isEmpty() || !(alone.get(alone.size() - 1) instanceof TcpOption.Eol)) {
            assertEquals(area.length, covered);
        }
    }

    /** Random option areas, biased towards plausible kinds and lengths so that deep paths are reached. */
    @Provide
    static Arbitrary<byte[]> optionAreas() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(80);
        Arbitrary<byte[]> plausible = Arbitraries.integers().between(0, 80).flatMap(len ->
                Arbitraries.oneOf(Arbitraries.of((byte) 0, (byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 5,
                                (byte) 8, (byte) 30, (byte) 0x20, (byte) 0x0f, (byte) 0x10, (byte) 0x30, (byte) 0x31),
                        Arbitraries.bytes().between((byte) 0, (byte) 40), Arbitraries.bytes())
                        .array(byte[].class).ofSize(len));
        return Arbitraries.oneOf(random, plausible);
    }

    @Property(tries = 2000)
    void mptcpParseOfAnyLengthIsTotalAndConfined(@ForAll @Size(max = 40) byte[] body,
                                                 @ForAll("u8s") int third, @ForAll @Size(max = 4) byte[] garbage) {
        byte[] opt = new byte[Math.max(2, body.length)];
        System.arraycopy(body, 0, opt, 0, body.length);
        opt[0] = 30;
        opt[1] = (byte) opt.length;
        if (opt.length > 2) {
            opt[2] = (byte) third;
        }
        MptcpOption alone = MptcpOptionCodec.parse(ByteBuffer.wrap(opt), 0, opt.length);
        assertEquals(opt.length, alone.length());
        assertEquals(alone, MptcpOptionCodec.parse(surrounded(garbage, opt, garbage), garbage.length, opt.length));
    }

    @Property(tries = 3000)
    void packetParseIsTotalAndConfined(@ForAll("packets") byte[] packet,
                                       @ForAll @Size(max = 8) byte[] prefix, @ForAll @Size(max = 8) byte[] suffix) {
        PacketParse alone = IpPacketCodec.parse(ByteBuffer.wrap(packet), 0, packet.length);
        PacketParse inside = IpPacketCodec.parse(surrounded(prefix, packet, suffix), prefix.length, packet.length);
        assertEquals(alone, shift(inside, -prefix.length));
    }

    /** The same result with every absolute offset moved by {@code d}. */
    static PacketParse shift(PacketParse r, int d) {
        if (r instanceof PacketParse.Tcp t) {
            return new PacketParse.Tcp(t.ipVersion(), t.src(), t.dst(), t.ttl(), t.ipHeaderOffset() + d,
                    t.ipPayloadOffset() + d, t.ipPayloadLength(), t.tcpOffset() + d, t.header(),
                    t.tcpHeaderLength(), t.payloadOffset() + d, t.payloadLength(), t.ipChecksumValid(),
                    t.tcpChecksumValid());
        }
        return r;
    }

    /** Random bytes, and valid packets with a few bytes overwritten and a random cut. */
    @Provide
    static Arbitrary<byte[]> packets() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(120).map(p -> {
            if (p.length > 0) {
                p[0] = (byte) ((p[0] & 1) == 0 ? 0x45 : 0x60); // mostly reach the IPv4/IPv6 paths
            }
            return p;
        });
        Arbitrary<byte[]> valid = Combinators.combine(optionLists(), Arbitraries.of(true, false),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(30)).as((opts, v6, payload) -> {
                    TcpHeader h = new TcpHeader(1, 2, 3, 4, TcpHeader.ACK, 5, 0, 0, opts);
                    ByteBuffer out = ByteBuffer.allocate(200);
                    int n = v6
                            ? IpPacketCodec.emitIpv6(out, 0, new Ipv6Fields(1, 2, 3, 4, 0, 0, 64), h, ByteBuffer.wrap(payload), 0, payload.length)
                            : IpPacketCodec.emitIpv4(out, 0, new Ipv4Fields(1, 2, 0, 64, 0, true), h, ByteBuffer.wrap(payload), 0, payload.length);
                    byte[] p = new byte[n];
                    out.get(0, p);
                    return p;
                });
        Arbitrary<byte[]> mutated = Combinators.combine(valid, Arbitraries.integers().between(0, 199).list().ofMaxSize(4),
                Arbitraries.bytes().list().ofSize(4), Arbitraries.integers().between(0, 200)).as((p, at, val, cut) -> {
                    byte[] c = p.clone();
                    for (int k = 0; k < at.size(); k++) {
                        if (at.get(k) < c.length) {
                            c[at.get(k)] = val.get(k);
                        }
                    }
                    return cut < c.length && (cut & 3) == 0 ? java.util.Arrays.copyOf(c, cut) : c;
                });
        return Arbitraries.oneOf(random, valid, mutated);
    }

    @Property(tries = 300)
    void packetParseNeverThrowsOnRandomLengths(@ForAll @IntRange(max = 1600) int len, @ForAll long seed) {
        byte[] p = new java.util.Random(seed).ints(len, 0, 256).collect(ByteArray::new, ByteArray::add, ByteArray::addAll).bytes();
        if (len > 0) {
            p[0] = (byte) (seed % 2 == 0 ? 0x45 : 0x60);
        }
        IpPacketCodec.parse(ByteBuffer.wrap(p), 0, p.length);
    }

    /** A tiny growable byte array for the collector above. */
    static final class ByteArray {
        private byte[] b = new byte[16];
        private int n;

        void add(int v) {
            if (n == b.length) {
                b = java.util.Arrays.copyOf(b, 2 * n);
            }
            b[n++] = (byte) v;
        }

        void addAll(ByteArray o) {
            for (int i = 0; i < o.n; i++) {
                add(o.b[i]);
            }
        }

        byte[] bytes() {
            return java.util.Arrays.copyOf(b, n);
        }
    }
}
