package io.jmptcp.tun.pcap;

import static io.jmptcp.tun.pcap.PcapReaderTestFiles.ethernet;
import static io.jmptcp.tun.pcap.PcapReaderTestFiles.ipv4;
import static io.jmptcp.tun.pcap.PcapReaderTestFiles.ipv6;
import static io.jmptcp.tun.pcap.PcapReaderTestFiles.sll;
import static io.jmptcp.tun.pcap.PcapReaderTestFiles.sll2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.tun.pcap.PcapReader.Capture;
import io.jmptcp.tun.pcap.PcapReader.Format;
import io.jmptcp.tun.pcap.PcapReaderTestFiles.Classic;
import io.jmptcp.tun.pcap.PcapReaderTestFiles.Ng;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PcapReaderTest {
    private static final byte[] TCP_BYTES = {0x12, 0x34, 0x56, 0x78};

    private static ByteOrder order(String name) {
        return name.equals("BE") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    private static PcapFrame.Ip ip(PcapFrame f) {
        return assertInstanceOf(PcapFrame.Ip.class, f.network(), f.toString());
    }

    @ParameterizedTest
    @CsvSource({"BE,false", "LE,false", "BE,true", "LE,true"})
    void classicPcapInBothByteOrdersAndResolutions(String byteOrder, boolean nanos) {
        byte[] frame1 = ethernet(0x0800, ipv4(TCP_BYTES));
        byte[] frame2 = ethernet(0x86DD, ipv6(TCP_BYTES));
        byte[] file = new Classic(order(byteOrder), nanos, 1)
                .packet(1_700_000_000L, 123_456, frame1)
                .packet(4_000_000_000L, 7, frame2, 1500)
                .bytes();

        Capture c = PcapReader.readAll(file);

        assertEquals(Optional.of(nanos ? Format.PCAP_NANOS : Format.PCAP_MICROS), c.format());
        assertEquals(Optional.empty(), c.failure());
        assertEquals(2, c.frames().size());
        PcapFrame a = c.frames().get(0);
        assertEquals(1, a.index());
        assertEquals(1_700_000_000L * 1_000_000_000L + (nanos ? 123_456 : 123_456_000), a.timestampNanos());
        assertEquals(1, a.linkType());
        assertArrayEquals(frame1, a.data());
        assertEquals(new PcapFrame.Ip(14, 4), a.network());
        assertArrayEquals(ipv4(TCP_BYTES), a.ipPacket());
        assertFalse(a.truncated());
        PcapFrame b = c.frames().get(1);
        assertEquals(2, b.index());
        // seconds beyond 2^31 are unsigned
        assertEquals(4_000_000_000L * 1_000_000_000L + (nanos ? 7 : 7_000), b.timestampNanos());
        assertEquals(new PcapFrame.Ip(14, 6), b.network());
        assertEquals(1500, b.originalLength());
        assertTrue(b.truncated());
    }

    @Test
    void ethernetVlanTagsAreSkipped() {
        byte[] oneTag = ethernet(0x0800, ipv4(TCP_BYTES), 0x8100);
        byte[] qinq = ethernet(0x86DD, ipv6(TCP_BYTES), 0x88A8, 0x8100);
        assertEquals(new PcapFrame.Ip(18, 4), PcapLinkReader.locate(1, oneTag));
        assertEquals(new PcapFrame.Ip(22, 6), PcapLinkReader.locate(1, qinq));
    }

    @Test
    void nonIpAndShortFramesAreTypedNotThrown() {
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(1, ethernet(0x0806, new byte[28])));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(1, new byte[13]));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(1, ethernet(0x8100, new byte[1])));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(113, new byte[15]));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(276, new byte[19]));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(147, ipv4()));
        // EtherType says IPv4 but the bytes are IPv6
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(1, ethernet(0x0800, ipv6())));
        // nothing after the header
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(1, ethernet(0x0800, new byte[0])));
    }

    @Test
    void rawIpLinkTypes() {
        assertEquals(new PcapFrame.Ip(0, 4), PcapLinkReader.locate(101, ipv4()));
        assertEquals(new PcapFrame.Ip(0, 6), PcapLinkReader.locate(101, ipv6()));
        assertEquals(new PcapFrame.Ip(0, 4), PcapLinkReader.locate(228, ipv4()));
        assertEquals(new PcapFrame.Ip(0, 6), PcapLinkReader.locate(229, ipv6()));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(228, ipv6()));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(229, ipv4()));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(101, new byte[] {0x25}));
        assertInstanceOf(PcapFrame.NotIp.class, PcapLinkReader.locate(101, new byte[0]));
    }

    @Test
    void linuxCookedHeaders() {
        byte[] file = new Classic(ByteOrder.LITTLE_ENDIAN, false, 113)
                .packet(1, 0, sll(0x0800, ipv4(TCP_BYTES)))
                .packet(2, 0, sll(0x86DD, ipv6(TCP_BYTES)))
                .packet(3, 0, sll(0x0806, new byte[28]))
                .bytes();
        List<PcapFrame> frames = PcapReader.readAll(file).frames();
        assertEquals(new PcapFrame.Ip(16, 4), frames.get(0).network());
        assertEquals(new PcapFrame.Ip(16, 6), frames.get(1).network());
        assertInstanceOf(PcapFrame.NotIp.class, frames.get(2).network());

        byte[] file2 = new Classic(ByteOrder.BIG_ENDIAN, true, 276)
                .packet(1, 0, sll2(0x0800, ipv4(TCP_BYTES)))
                .packet(2, 0, sll2(0x86DD, ipv6(TCP_BYTES)))
                .bytes();
        List<PcapFrame> frames2 = PcapReader.readAll(file2).frames();
        assertEquals(276, frames2.get(0).linkType());
        assertEquals(new PcapFrame.Ip(20, 4), frames2.get(0).network());
        assertEquals(new PcapFrame.Ip(20, 6), frames2.get(1).network());
    }

    @ParameterizedTest
    @CsvSource({"BE", "LE"})
    void pcapngInterfacesPacketKindsAndUnknownBlocks(String byteOrder) {
        byte[] eth = ethernet(0x0800, ipv4(TCP_BYTES));
        byte[] raw = ipv6(TCP_BYTES);
        byte[] file = new Ng(order(byteOrder))
                .iface(1, 0, 9, 0)                   // interface 0: Ethernet, nanoseconds
                .block(4, new byte[] {0, 0, 0, 0})  // name resolution block: skipped
                .iface(229, 96, -1, 0)               // interface 1: raw IPv6, microseconds
                .epb(0, 1_700_000_000_123_456_789L, eth)
                .block(0x40000BAD, new byte[8])      // custom block: skipped
                .epb(1, 1_700_000_000_000_001L, raw, 200)
                .spb(eth)
                .obsoletePacket(1, 5, raw)
                .bytes();

        Capture c = PcapReader.readAll(file);

        assertEquals(Optional.of(Format.PCAPNG), c.format());
        assertEquals(Optional.empty(), c.failure());
        List<PcapFrame> f = c.frames();
        assertEquals(List.of(1, 2, 3, 4), f.stream().map(PcapFrame::index).toList());
        assertEquals(1_700_000_000_123_456_789L, f.get(0).timestampNanos());
        assertEquals(new PcapFrame.Ip(14, 4), f.get(0).network());
        assertArrayEquals(eth, f.get(0).data());
        assertEquals(1, f.get(1).interfaceId());
        assertEquals(229, f.get(1).linkType());
        assertEquals(1_700_000_000_000_001_000L, f.get(1).timestampNanos());
        assertEquals(new PcapFrame.Ip(0, 6), f.get(1).network());
        assertEquals(200, f.get(1).originalLength());
        // SPB: interface 0, no timestamp
        assertEquals(0, f.get(2).timestampNanos());
        assertArrayEquals(eth, f.get(2).data());
        assertEquals(new PcapFrame.Ip(14, 4), f.get(2).network());
        assertEquals(5_000, f.get(3).timestampNanos());
        assertArrayEquals(raw, f.get(3).data());
    }

    @Test
    void pcapngSectionsMayChangeByteOrderAndResetInterfaces() {
        byte[] file = new Ng(ByteOrder.LITTLE_ENDIAN)
                .iface(101, 0, -1, 0)
                .epb(0, 1, ipv4())
                .section(ByteOrder.BIG_ENDIAN)
                .epb(0, 2, ipv4())                   // interface 0 not described in this section
                .iface(228, 0, -1, 0)
                .epb(0, 3, ipv4())
                .bytes();
        Capture c = PcapReader.readAll(file);
        assertEquals(Optional.empty(), c.failure());
        assertEquals(3, c.frames().size());
        assertEquals(101, c.frames().get(0).linkType());
        assertInstanceOf(PcapFrame.NotIp.class, c.frames().get(1).network());
        assertEquals(2, c.frames().get(1).index());
        assertEquals(228, c.frames().get(2).linkType());
        assertEquals(3_000, c.frames().get(2).timestampNanos());
    }

    @Test
    void pcapngTimestampResolutionAndOffset() {
        byte[] file = new Ng(ByteOrder.BIG_ENDIAN)
                .iface(101, 0, 0x80 | 10, 0)         // 2^-10 s
                .iface(101, 0, 3, 100)               // milliseconds, +100 s
                .iface(101, 0, 12, 0)                // picoseconds
                .epb(0, 1024 * 5 + 512, ipv4())
                .epb(1, 1_500, ipv4())
                .epb(2, 7_000_123_456L, ipv4())
                .bytes();
        List<PcapFrame> f = PcapReader.readAll(file).frames();
        assertEquals(5_500_000_000L, f.get(0).timestampNanos());
        assertEquals(101_500_000_000L, f.get(1).timestampNanos());
        assertEquals(7_000_123L, f.get(2).timestampNanos());
    }

    @Test
    void damagedPacketBlocksKeepTheirNumber() {
        byte[] file = new Ng(ByteOrder.LITTLE_ENDIAN)
                .iface(101, 0, -1, 0)
                .epb(3, 1, ipv4())                   // undescribed interface
                .block(6, new byte[8])               // too short for an EPB
                .epb(0, 1, ipv4())
                .bytes();
        Capture c = PcapReader.readAll(file);
        assertEquals(Optional.empty(), c.failure());
        assertEquals(3, c.frames().size());
        assertInstanceOf(PcapFrame.NotIp.class, c.frames().get(0).network());
        assertInstanceOf(PcapFrame.NotIp.class, c.frames().get(1).network());
        assertEquals(new PcapFrame.Ip(0, 4), c.frames().get(2).network());
        assertEquals(3, c.frames().get(2).index());
    }

    @Test
    void notACaptureIsAClearFailure() {
        Capture empty = PcapReader.readAll(new byte[0]);
        assertEquals(Optional.empty(), empty.format());
        assertTrue(empty.failure().orElseThrow().contains("empty"), empty.failure().orElseThrow());
        Capture text = PcapReader.readAll("hello, world\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(Optional.empty(), text.format());
        assertTrue(text.failure().orElseThrow().startsWith("not a pcap or pcapng file"));
        assertTrue(text.frames().isEmpty());
        Capture tiny = PcapReader.readAll(new byte[] {(byte) 0xd4, (byte) 0xc3});
        assertTrue(tiny.failure().orElseThrow().contains("not a capture"));
    }

    @Test
    void truncatedClassicFileKeepsEarlierFrames() {
        byte[] whole = new Classic(ByteOrder.LITTLE_ENDIAN, false, 101)
                .packet(1, 0, ipv4(TCP_BYTES)).packet(2, 0, ipv4(TCP_BYTES)).bytes();
        for (int cut = 24 + 16 + 24 + 1; cut < whole.length; cut++) {
            Capture c = PcapReader.readAll(Arrays.copyOf(whole, cut));
            assertEquals(1, c.frames().size(), "cut at " + cut);
            assertTrue(c.failure().orElseThrow().contains("packet 2"), c.failure().orElseThrow());
        }
        Capture headerOnly = PcapReader.readAll(Arrays.copyOf(whole, 24));
        assertEquals(Optional.empty(), headerOnly.failure());
        assertTrue(headerOnly.frames().isEmpty());
        Capture shortHeader = PcapReader.readAll(Arrays.copyOf(whole, 20));
        assertTrue(shortHeader.failure().orElseThrow().contains("file header"));
    }

    @Test
    void pcapngBlockWithMismatchedTrailerStopsReading() {
        byte[] file = new Ng(ByteOrder.BIG_ENDIAN).iface(101, 0, -1, 0).epb(0, 1, ipv4())
                .epb(0, 2, ipv4()).bytes();
        file[file.length - 1] ^= 4; // trailing length of the last block
        Capture c = PcapReader.readAll(file);
        assertEquals(1, c.frames().size());
        assertTrue(c.failure().orElseThrow().contains("trailing length"), c.failure().orElseThrow());

        byte[] badBom = new Ng(ByteOrder.BIG_ENDIAN).bytes();
        badBom[8] = 0x77;
        assertTrue(PcapReader.readAll(badBom).failure().orElseThrow().contains("byte-order magic"));
    }

    @Test
    void readsFilesAndReportsMissingOnes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("a.pcap");
        Files.write(file, new Classic(ByteOrder.BIG_ENDIAN, false, 228).packet(9, 0, ipv4()).bytes());
        Capture c = PcapReader.readAll(file);
        assertEquals(1, c.frames().size());
        assertEquals(9_000_000_000L, c.frames().get(0).timestampNanos());
        assertThrows(NoSuchFileException.class, () -> PcapReader.readAll(dir.resolve("missing.pcap")));
    }

    @Property(tries = 300)
    void garbageNeverThrows(@ForAll @Size(max = 300) byte[] bytes) {
        PcapReader.readAll(bytes);
    }

    @Property(tries = 500)
    void corruptedCapturesNeverThrowAndKeepNumbering(@ForAll @IntRange(min = 0, max = 2000) int position,
                                                     @ForAll byte value, @ForAll boolean ng) {
        byte[] file = ng
                ? new Ng(ByteOrder.LITTLE_ENDIAN).iface(1, 0, -1, 0).epb(0, 1, ethernet(0x0800, ipv4(TCP_BYTES)))
                        .spb(ethernet(0x86DD, ipv6())).iface(276, 0, 9, 0).epb(1, 2, sll2(0x0800, ipv4()))
                        .bytes()
                : new Classic(ByteOrder.BIG_ENDIAN, true, 113).packet(1, 2, sll(0x0800, ipv4(TCP_BYTES)))
                        .packet(3, 4, sll(0x86DD, ipv6())).bytes();
        file[position % file.length] = value;
        Capture c = PcapReader.readAll(file);
        for (int i = 0; i < c.frames().size(); i++) {
            assertEquals(i + 1, c.frames().get(i).index());
        }
    }
}
