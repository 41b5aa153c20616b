package io.jmptcp.tun.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.runtime.PacketBatch;
import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written by PcapWriter, read back by tshark (an independent reader). */
class PcapWriterTest {
    @TempDir
    Path tmp;

    /** An IPv4 UDP packet (RFC 791, RFC 768) from src to dst:port with {@code payload} bytes. */
    static ByteBuffer udp(String src, String dst, int port, int payload) {
        int length = 20 + 8 + payload;
        ByteBuffer p = ByteBuffer.allocate(length);
        p.put(0, (byte) 0x45).putShort(2, (short) length).put(8, (byte) 64).put(9, (byte) 17);
        p.put(12, addr(src)).put(16, addr(dst));
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += p.getShort(i) & 0xffff;
        }
        sum = (sum & 0xffff) + (sum >> 16);
        p.putShort(10, (short) ~((sum & 0xffff) + (sum >> 16)));
        p.putShort(20, (short) 40000).putShort(22, (short) port).putShort(24, (short) (8 + payload));
        return p;
    }

    private static byte[] addr(String dotted) {
        String[] f = dotted.split("\\.");
        byte[] a = new byte[4];
        for (int i = 0; i < 4; i++) {
            a[i] = (byte) Integer.parseInt(f[i]);
        }
        return a;
    }

    /** tshark's fields for every frame, one line per frame, comma-separated. */
    List<String> tshark(Path file, String... fields) throws Exception {
        if (!Host.has("tshark")) {
            throw new AssertionError("tshark is not installed: this test reads captures back with it "
                    + "(DEBIAN_FRONTEND=noninteractive apt-get install -y tshark)");
        }
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields",
                "-E", "separator=,"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("tshark.err").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark timed out");
        assertEquals(0, p.exitValue(), "tshark failed: " + Files.readString(tmp.resolve("tshark.err")));
        return out.lines().toList();
    }

    @Test
    void tsharkReadsAddressesTimesAndLengths() throws Exception {
        Path file = tmp.resolve("a.pcap");
        long t0 = 1_700_000_000_123_456L;
        try (PcapWriter w = PcapWriter.create(file)) {
            for (int i = 0; i < 300; i++) {
                ByteBuffer p = udp("10.3." + (i % 3) + ".1", "10.2.1." + (i % 250), 5000 + i, i * 4);
                p.position(0);
                w.write(t0 + i * 1_001L, p);
                assertEquals(0, p.position(), "write leaves the buffer unchanged");
            }
        }
        List<String> lines = tshark(file, "frame.time_epoch", "ip.src", "ip.dst", "udp.dstport", "frame.len");
        assertEquals(300, lines.size());
        for (int i = 0; i < 300; i++) {
            String[] f = lines.get(i).split(",");
            long micros = t0 + i * 1_001L;
            String expectedTime = (micros / 1_000_000) + "." + String.format("%06d", micros % 1_000_000);
            assertTrue(f[0].startsWith(expectedTime), "time of " + i + ": " + f[0] + " vs " + expectedTime);
            assertEquals("10.3." + (i % 3) + ".1", f[1]);
            assertEquals("10.2.1." + (i % 250), f[2]);
            assertEquals(Integer.toString(5000 + i), f[3]);
            assertEquals(Integer.toString(28 + i * 4), f[4]);
        }
    }

    @Test
    void longPacketsAreTruncatedToTheSnaplen() throws Exception {
        Path file = tmp.resolve("snap.pcap");
        try (PcapWriter w = new PcapWriter(FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE), 64)) {
            w.write(0, udp("1.2.3.4", "5.6.7.8", 9, 1000));
        }
        assertEquals(24 + 16 + 64, Files.size(file));
        List<String> lines = tshark(file, "frame.len", "frame.cap_len");
        assertEquals(List.of("1028,64"), lines);
    }

    @Test
    void wrapperRecordsBothDirectionsInOrder() throws Exception {
        Path file = tmp.resolve("io.pcap");
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 64);
        AtomicLong clock = new AtomicLong(1_000_000L);
        PcapPacketIo io = new PcapPacketIo(ends[0], PcapWriter.create(file), clock::get);
        io.send(udp("10.3.1.1", "10.2.1.1", 1, 10));
        clock.addAndGet(500);
        ends[1].send(udp("10.2.1.1", "10.3.1.1", 2, 20));
        ends[1].send(udp("10.2.2.1", "10.3.1.1", 3, 30));
        PacketBatch batch = new PacketBatch(8, 1500, true);
        assertEquals(2, io.receive(batch, TimeUnit.SECONDS.toNanos(5)));
        assertEquals(0, io.receive(batch, 0), "an idle receive flushes");
        assertEquals(3, tshark(file, "ip.src").size(), "flushed while idle, before close");
        io.close();
        List<String> lines = tshark(file, "frame.time_epoch", "ip.src", "udp.dstport");
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith("1.000000000,10.3.1.1,1"), lines.get(0));
        assertTrue(lines.get(1).startsWith("1.000500000,10.2.1.1,2"), lines.get(1));
        assertTrue(lines.get(2).startsWith("1.000500000,10.2.2.1,3"), lines.get(2));
    }

    @Test
    void fileHeaderIsClassicPcapRaw() throws IOException {
        Path file = tmp.resolve("h.pcap");
        PcapWriter.create(file).close();
        ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(file)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(24, h.limit());
        assertEquals(0xa1b2c3d4, h.getInt(0));
        assertEquals(2, h.getShort(4));
        assertEquals(4, h.getShort(6));
        assertEquals(65535, h.getInt(16));
        assertEquals(101, h.getInt(20));
    }
}
