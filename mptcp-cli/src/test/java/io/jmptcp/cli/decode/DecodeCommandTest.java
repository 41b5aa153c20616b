package io.jmptcp.cli.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.Main;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.MptcpOption.AddAddr;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.MptcpOption.MpFail;
import io.jmptcp.core.wire.MptcpOption.MpFastclose;
import io.jmptcp.core.wire.MptcpOption.MpJoinSyn;
import io.jmptcp.core.wire.MptcpOption.MpPrio;
import io.jmptcp.core.wire.MptcpOption.MpTcpRst;
import io.jmptcp.core.wire.MptcpOption.MptcpMalformed;
import io.jmptcp.core.wire.MptcpOption.MptcpUnknown;
import io.jmptcp.core.wire.MptcpOption.RemoveAddr;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The decode command on captures built here from the codec's own records (so every MPTCP form,
 * IPv6, Ethernet and cut frames are covered), checked through the JSON the command prints.
 */
class DecodeCommandTest {
    @TempDir
    Path dir;

    private static final InetAddress A6 = addr("fd00::1");
    private static final InetAddress B6 = addr("fd00:0:0:1:0:0:0:2");
    private static final InetAddress A4 = addr("192.0.2.1");
    private static final InetAddress B4 = addr("198.51.100.7");

    private static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** An IP packet carrying a TCP segment with these options and {@code payload} zero bytes. */
    private static byte[] packet(InetAddress src, InetAddress dst, int flags, int seq, int ack,
                                 int payload, TcpOption... options) {
        TcpHeader h = new TcpHeader(40000, 5201, seq, ack, flags, 512, 0, 0, List.of(options));
        ByteBuffer out = ByteBuffer.allocate(100 + payload);
        int n = IpPacketCodec.emit(out, 0, src, dst, 64, h, ByteBuffer.allocate(payload), 0, payload);
        return Arrays.copyOf(out.array(), n);
    }

    private static byte[] ethernet(int etherType, byte[] payload) {
        return ByteBuffer.allocate(14 + payload.length).put(new byte[12]).putShort((short) etherType)
                .put(payload).array();
    }

    /** A classic little-endian microsecond pcap; {@code snap} cuts each frame (0 = no cut). */
    private static byte[] pcap(int linkType, int snap, byte[]... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(65535).putInt(linkType);
        out.writeBytes(h.array());
        int t = 0;
        for (byte[] f : frames) {
            int cap = snap > 0 ? Math.min(snap, f.length) : f.length;
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(1_700_000_000).putInt(t++).putInt(cap).putInt(f.length);
            out.writeBytes(r.array());
            out.write(f, 0, cap);
        }
        return out.toByteArray();
    }

    private record Run(int exit, String out, String err) {
        List<Map<String, Object>> json() {
            List<Map<String, Object>> l = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isEmpty()) {
                    l.add(StrictJson.object(line));
                }
            }
            return l;
        }
    }

    private Run decode(byte[] capture, String... args) throws Exception {
        Path f = dir.resolve("c" + System.nanoTime() + ".pcap");
        Files.write(f, capture);
        List<String> all = new ArrayList<>(List.of("decode"));
        all.addAll(List.of(args));
        all.add(f.toString());
        return run(all);
    }

    private static Run run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> mptcp(Map<String, Object> line) {
        return (List<Map<String, Object>>) (List<?>) line.get("mptcp");
    }

    private static BigInteger n(String v) {
        return new BigInteger(v);
    }

    private static BigInteger n(long v) {
        return BigInteger.valueOf(v);
    }

    @Test
    void everyMptcpFormOverIpv6AndEthernet() throws Exception {
        byte[] cap = pcap(1, 0,
                ethernet(0x86DD, packet(A6, B6, TcpHeader.ACK, -1, 0x80000000, 3,
                        MpCapable.ackDataCsum(0x81, -2L, 1L, 3, 0xbeef))),
                ethernet(0x86DD, packet(A6, B6, TcpHeader.SYN, 1, 0,
                        0, new MpJoinSyn(true, 7, 0xfedcba98, 0x01020304))),
                ethernet(0x86DD, packet(A6, B6, TcpHeader.ACK, 2, 3, 0,
                        new Dss(true, false, 0xffffffffL, true, true, -1L, 0xfffffffe, 1, true, true, 0x1234))),
                ethernet(0x86DD, packet(A6, B6, TcpHeader.ACK, 2, 3, 0,
                        new AddAddr(false, 200, addr("2001:db8::5"), 8080, 0x0123456789abcdefL))),
                ethernet(0x86DD, packet(A6, B6, TcpHeader.ACK | TcpHeader.PSH, 2, 3, 0,
                        new RemoveAddr(List.of(1, 2, 255)), new MpPrio(true))),
                ethernet(0x86DD, packet(A6, B6, TcpHeader.RST | TcpHeader.ACK, 2, 3, 0,
                        new MpFastclose(0x8000000000000000L), new MpTcpRst(1, 6))),
                ethernet(0x86DD, packet(A6, B6, TcpHeader.ACK, 2, 3, 0,
                        new MpFail(42), new MptcpUnknown(0xf, new byte[] {30, 4, (byte) 0xf0, 0}),
                        new MptcpMalformed(0, "bad length 5 for MP_CAPABLE", new byte[] {30, 5, 0x01, 1, 0}))));

        Run r = decode(cap, "--json");

        assertEquals(0, r.exit(), r.err());
        List<Map<String, Object>> j = r.json();
        assertEquals(7, j.size());
        Map<String, Object> first = j.get(0);
        assertEquals(List.of("frame", "src", "sport", "dst", "dport", "flags", "seq", "ack", "len",
                "options", "mptcp"), new ArrayList<>(first.keySet()));
        assertEquals("fd00::1", first.get("src"));
        assertEquals("fd00:0:0:1::2", first.get("dst"));
        assertEquals(n("4294967295"), first.get("seq"));
        assertEquals(n("2147483648"), first.get("ack"));
        assertEquals(n(3), first.get("len"));
        assertEquals("A", first.get("flags"));
        assertEquals(List.of("mptcp"), first.get("options"));
        assertEquals(List.of(Map.of("subtype", "MP_CAPABLE", "version", n(1), "flags", n(0x81),
                "sender_key", n("18446744073709551614"), "receiver_key", n(1), "data_len", n(3),
                "checksum", n(0xbeef))), mptcp(first));
        assertEquals(List.of(Map.of("subtype", "MP_JOIN", "backup", true, "address_id", n(7),
                "token", n("4275878552"), "nonce", n(0x01020304))), mptcp(j.get(1)));
        assertEquals("S", j.get(1).get("flags"));
        assertEquals(List.of(Map.of("subtype", "DSS", "flags", n(0x1d), "data_ack", n("4294967295"),
                "data_ack_len", n(4), "dsn", n("18446744073709551615"), "dsn_len", n(8),
                "ssn", n("4294967294"), "data_len", n(1), "checksum", n(0x1234), "data_fin", true)),
                mptcp(j.get(2)));
        assertEquals(List.of(Map.of("subtype", "ADD_ADDR", "echo", false, "address_id", n(200),
                "address", "2001:db8::5", "port", n(8080), "hmac", "0123456789abcdef")), mptcp(j.get(3)));
        assertEquals(List.of(Map.of("subtype", "REMOVE_ADDR", "ids", List.of(n(1), n(2), n(255))),
                Map.of("subtype", "MP_PRIO", "backup", true)), mptcp(j.get(4)));
        assertEquals("PA", j.get(4).get("flags"));
        assertEquals(List.of(Map.of("subtype", "MP_FASTCLOSE", "receiver_key", n("9223372036854775808")),
                Map.of("subtype", "MP_TCPRST", "flags", n(1), "reason", n(6))), mptcp(j.get(5)));
        assertEquals("RA", j.get(5).get("flags"));
        assertEquals(List.of(Map.of("subtype", "MP_FAIL", "dsn", n(42)),
                Map.of("subtype", "UNKNOWN", "error", "unknown subtype 15"),
                Map.of("subtype", "MALFORMED", "error", "bad length 5 for MP_CAPABLE")), mptcp(j.get(6)));
    }

    @Test
    void tcpLevelOptionNamesIncludingUnknownAndMalformed() throws Exception {
        byte[] cap = pcap(101, 0, packet(A4, B4, TcpHeader.SYN | TcpHeader.ECE | TcpHeader.CWR, 0, 0, 0,
                new TcpOption.Mss(1460), new TcpOption.SackPermitted(), new TcpOption.Timestamps(-1, 7),
                new TcpOption.Nop(), new TcpOption.WindowScale(7),
                new TcpOption.Sack(List.of(new TcpOption.SackBlock(1, 2))),
                new TcpOption.Unknown(254, new byte[] {1, 2}), new TcpOption.Eol()),
                packet(A4, B4, TcpHeader.ACK, 0, 0, 0, new TcpOption.Nop(),
                        new TcpOption.Malformed(30, "x", new byte[] {30, 40, 0x20})));
        Run r = decode(cap, "--json");
        assertEquals(0, r.exit(), r.err());
        List<Map<String, Object>> j = r.json();
        assertEquals("SEC", j.get(0).get("flags"));
        // the codec keeps the EOL and stops there; the NOP padding after it is not read
        assertEquals(List.of("mss", "sack_perm", "timestamps", "nop", "wscale", "sack", "unknown-254", "eol"),
                j.get(0).get("options"));
        assertEquals(List.of(), j.get(0).get("mptcp"));
        assertEquals(List.of("nop", "malformed-30"), j.get(1).get("options"));
        List<Map<String, Object>> bad = mptcp(j.get(1));
        assertEquals(1, bad.size());
        assertEquals("MALFORMED", bad.get(0).get("subtype"));
        assertTrue(((String) bad.get(0).get("error")).contains("runs past"), bad.toString());

        Run plain = decode(cap);
        String[] lines = plain.out().split("\n");
        assertEquals("1 192.0.2.1:40000 > 198.51.100.7:5201 [SEC] seq=0 ack=0 win=512 len=0 <mss 1460,"
                + "sack_perm,ts val 4294967295 ecr 7,nop,wscale 7,sack 1-2,unknown-254 0102,eol>", lines[0]);
        assertTrue(lines[1].contains(",mptcp MALFORMED ("), lines[1]);
    }

    @Test
    void nonTcpFramesAreSkippedAndCounted() throws Exception {
        byte[] udp = packet(A4, B4, TcpHeader.ACK, 0, 0, 0);
        udp[9] = 17; // protocol UDP (the IPv4 header checksum is not checked by the decoder)
        byte[] cap = pcap(1, 0, ethernet(0x0806, new byte[28]), ethernet(0x0800, udp),
                ethernet(0x0800, packet(A4, B4, TcpHeader.FIN | TcpHeader.ACK, 5, 6, 0)));
        Run r = decode(cap, "--json");
        assertEquals(0, r.exit(), r.err());
        List<Map<String, Object>> j = r.json();
        assertEquals(1, j.size());
        assertEquals(n(3), j.get(0).get("frame"));
        assertEquals("FA", j.get(0).get("flags"));
        assertTrue(r.err().contains("skipped 2 of 3 frames"), r.err());
        assertTrue(r.err().contains("1 not TCP"), r.err());
        assertTrue(r.err().contains("not IP: Ethernet protocol 0x0806"), r.err());
    }

    @Test
    void framesCutAtTheSnapshotLength() throws Exception {
        byte[] full = packet(A4, B4, TcpHeader.ACK, 1, 2, 1000, Dss.ackOnly(99));
        // 20 IP + 20 TCP + 12 options (DSS 12) = 52 header bytes: a snap of 60 keeps them all
        Run r = decode(pcap(101, 60, full), "--json");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> line = r.json().get(0);
        assertEquals(n(1000), line.get("len"), "payload length from the IP header");
        assertEquals(n(99), mptcp(line).get(0).get("data_ack"));
        // a snap of 45 cuts the TCP options: nothing made up, the frame is skipped with a reason
        Run cut = decode(pcap(101, 45, full), "--json");
        assertEquals(0, cut.exit(), cut.err());
        assertEquals("", cut.out());
        assertTrue(cut.err().contains("cut short by the snapshot length"), cut.err());
    }

    @Test
    void unreadableFilesExitNonZero() throws Exception {
        Run notCapture = decode("just text\n".getBytes(), "--json");
        assertEquals(1, notCapture.exit());
        assertTrue(notCapture.err().contains("not a pcap or pcapng file"), notCapture.err());
        Run missing = run(List.of("decode", dir.resolve("nope.pcap").toString()));
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());
        byte[] ok = pcap(101, 0, packet(A4, B4, TcpHeader.ACK, 0, 0, 0));
        Run cutShort = decode(Arrays.copyOf(ok, ok.length - 3), "--json");
        assertEquals(1, cutShort.exit());
        assertTrue(cutShort.err().contains("cut short"), cutShort.err());
    }

    @Test
    void jsonStringsAreEscaped() {
        String nasty = "q\"b\\s/\n\r\t\b\f\u0001\u001f é";
        String json = SegmentJson.write(SegmentJson.value(nasty));
        assertEquals(nasty, StrictJson.parse(json));
        assertTrue(json.chars().noneMatch(c -> c < 0x20), "control characters escaped: " + json);
        assertTrue(json.startsWith("\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001"), json);
    }

    @Test
    void ipv6AddressesInShortForm() {
        assertEquals("::", OptionFields.address(addr("::")));
        assertEquals("::1", OptionFields.address(addr("::1")));
        assertEquals("1::", OptionFields.address(addr("1:0:0:0:0:0:0:0")));
        assertEquals("fd00:0:0:1::1", OptionFields.address(addr("fd00:0:0:1:0:0:0:1")));
        assertEquals("2001:db8::1:0:0:1", OptionFields.address(addr("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", OptionFields.address(addr("2001:db8:0:1:1:1:1:1")));
        assertEquals("::ffff:10.0.0.1", OptionFields.address(v6("00000000000000000000ffff0a000001")));
        assertEquals("10.0.0.1", OptionFields.address(addr("10.0.0.1")));
    }

    /** An IPv6 address from 32 hex digits, without the JDK turning a mapped one into IPv4. */
    private static InetAddress v6(String hex) {
        try {
            return java.net.Inet6Address.getByAddress(null, java.util.HexFormat.of().parseHex(hex), -1);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void helpDocumentsTheOptionNamesAndKeys() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("decode", "--help"));
        String help = out.toString().replaceAll("\\s+", " ");
        for (String word : List.of("sack_perm", "timestamps", "unknown-<kind>", "malformed-<kind>",
                "data_ack_len", "MP_TCPRST", "--json", "CAPTURE")) {
            assertTrue(help.contains(word), word + " in: " + help);
        }
    }
}
