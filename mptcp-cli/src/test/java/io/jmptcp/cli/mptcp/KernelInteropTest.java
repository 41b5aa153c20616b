package io.jmptcp.cli.mptcp;

import static io.jmptcp.cli.testbed.Testbed.delta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * jmptcp's MPTCP against the Linux kernel's on the testbed (docs/testbed.md): the stack runs
 * {@code jmptcp nc} in the client namespace with two addresses, the kernel peer is
 * scripts/peer.py in the server namespace. Each test compares SHA-256 both ways and reads the
 * kernel's own MPTcpExt counters (nstat) besides the stack's.
 */
@Tag("netns")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class KernelInteropTest {
    private static final String P = "jmpk";
    private static final Pattern PEER = Pattern.compile(
            "\"sent\": (\\d+), \"sent_sha256\": \"([0-9a-f]+)\", \"received\": (\\d+), \"received_sha256\": \"([0-9a-f]+)\", \"mptcp\": (true|false)");
    private static Testbed tb;
    private static Path tmp;
    private static int nextPort = 15000; // not 6000-6063: tshark decodes those ports as X11

    @BeforeAll
    static void up() throws IOException {
        Host.requireNetns("python3", "nft", "nstat", "tc", "setsid", "bash");
        tb = Testbed.options(P).paths(2).rateAll(200).up();
        tmp = tb.dir();
    }

    @AfterAll
    static void down() {
        if (tb != null) {
            tb.close();
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    record Outcome(int ncExit, String ncLog, String ncOutHash, long ncOutBytes, String inHash, String peerJson) {
        Matcher peer() {
            Matcher m = PEER.matcher(peerJson);
            assertTrue(m.find(), "peer output: " + peerJson + "\nnc log: " + ncLog);
            return m;
        }

        /** Integrity both ways: what nc read from its stdin reached the peer, and back. */
        void assertIntact(long bytesEachWay) {
            Matcher m = peer();
            assertEquals(0, ncExit, ncLog);
            assertEquals(bytesEachWay, Long.parseLong(m.group(3)), ncLog);
            assertEquals(inHash, m.group(4), "peer received other bytes than nc sent\n" + ncLog);
            assertEquals(bytesEachWay, ncOutBytes, ncLog);
            assertEquals(m.group(2), ncOutHash, "nc wrote other bytes than the peer sent\n" + ncLog);
        }

        /** The stack's own counter from its exit log. */
        long stack(String counter) {
            Matcher m = Pattern.compile("\\b" + counter + "=(\\d+)").matcher(ncLog);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        }

        /** Subflows in the stack's final connection info that sent and received bytes. */
        int subflowsCarryingData() {
            Matcher m = Pattern.compile("Subflow\\[[^]]*bytesSent=(\\d+), bytesReceived=(\\d+)").matcher(ncLog);
            int n = 0;
            while (m.find()) {
                if (Long.parseLong(m.group(1)) > 0 && Long.parseLong(m.group(2)) > 0) {
                    n++;
                }
            }
            return n;
        }
    }

    static Path input(long bytes, long seed) throws IOException {
        return input(bytes, seed, tmp);
    }

    public static Path input(long bytes, long seed, Path dir) throws IOException {
        Path f = dir.resolve("in-" + bytes + "-" + seed);
        if (!Files.exists(f)) {
            Random r = new Random(seed);
            byte[] b = new byte[1 << 20];
            try (var out = Files.newOutputStream(f)) {
                for (long left = bytes; left > 0; left -= b.length) {
                    r.nextBytes(b);
                    out.write(b, 0, (int) Math.min(b.length, left));
                }
            }
        }
        return f;
    }

    /** A kernel peer (scripts/peer.py ARGS) in the server namespace; a server is waited for until it listens. */
    static Testbed.Proc peer(Testbed t, int port, List<String> args) throws Exception {
        Path ready = t.dir().resolve("ready-" + port);
        List<String> cmd = new ArrayList<>(List.of("python3", Testbed.script("peer.py").toString()));
        cmd.addAll(args);
        boolean server = args.get(0).equals("server");
        if (server) {
            cmd.addAll(List.of("--ready", ready.toString()));
        }
        Testbed.Proc peer = t.launch("srv", cmd.toArray(String[]::new)).stdout(t.dir().resolve("peer-" + port))
                .stderr(t.dir().resolve("peer-err-" + port)).start();
        if (server) {
            peer.await("the peer to listen", 20, () -> Files.exists(ready));
        }
        return peer;
    }

    /** What one transfer left: nc's exit and log, and the bytes both ways. */
    static Outcome outcome(Testbed.Proc nc, Testbed.Proc peer, Path in) throws Exception {
        int rc = nc.exitCode(120);
        peer.exitCode(30);
        return new Outcome(rc, nc.err(), Testbed.sha256(nc.outFile()), Files.size(nc.outFile()), Testbed.sha256(in),
                peer.out());
    }

    static List<String> ncArgs(boolean checksum, String... rest) {
        List<String> c = new ArrayList<>(List.of("nc", "--tun", P + "t0", "--address", "10.3.1.1", "--address", "10.3.2.1"));
        if (checksum) {
            c.add("--checksum");
        }
        c.addAll(List.of(rest));
        return c;
    }

    /** {@code jmptcp ARGS} (an nc) in the client namespace, its stdin from {@code in}. */
    static Testbed.Proc nc(Testbed t, Path in, int port, List<String> args) throws IOException {
        return t.jmptcp("cli", args.toArray(String[]::new)).stdin(in).stdout(t.dir().resolve("nc-out-" + port))
                .stderr(t.dir().resolve("nc-log-" + port)).start();
    }

    /** jmptcp nc client to a kernel peer.py server. */
    static Outcome clientToKernel(long bytes, boolean kernelMptcp, boolean checksum, Consumer<Testbed.Proc> midway)
            throws Exception {
        return clientToKernel(bytes, kernelMptcp, checksum, midway, List.of());
    }

    static Outcome clientToKernel(long bytes, boolean kernelMptcp, boolean checksum, Consumer<Testbed.Proc> midway,
                                  List<String> peerExtra) throws Exception {
        return clientToKernel(bytes, kernelMptcp, checksum, midway, peerExtra, List.of(), Math.min(bytes / 4, 2 << 20));
    }

    /** {@code midway} gets nc once nc has received {@code midwayAt} bytes from the peer. */
    static Outcome clientToKernel(long bytes, boolean kernelMptcp, boolean checksum, Consumer<Testbed.Proc> midway,
                                  List<String> peerExtra, List<String> ncExtra, long midwayAt) throws Exception {
        int port = nextPort++;
        List<String> peerArgs = new ArrayList<>(List.of("server", "--port", Integer.toString(port), "--send",
                Long.toString(bytes)));
        if (kernelMptcp) {
            peerArgs.add("--mptcp");
        }
        peerArgs.addAll(peerExtra);
        Testbed.Proc peer = peer(tb, port, peerArgs);
        Path in = input(bytes, port);
        List<String> ncCmd = ncArgs(checksum);
        ncCmd.addAll(ncExtra);
        ncCmd.addAll(List.of("10.2.1.1", Integer.toString(port)));
        Testbed.Proc nc = nc(tb, in, port, ncCmd);
        if (midway != null) {
            // Spin: at 200 Mbit/s a 20 ms look would act half a megabyte late.
            Testbed.within(60, Duration.ZERO, () -> Files.size(nc.outFile()) >= midwayAt || !nc.isAlive());
            midway.accept(nc);
        }
        return outcome(nc, peer, in);
    }

    static void sysctl(String side, String kv) {
        tb.exec(30, side, List.of("sysctl", "-qw", kv)).check();
    }

    static void nft(String side, String script) {
        tb.exec(30, side, List.of("nft", script)).check();
    }

    // ---- tests ----------------------------------------------------------------------------------

    @Test
    @Order(1)
    void clientToKernelServer64MiBEachWayOnTwoSubflows() throws Exception {
        Map<String, Long> before = tb.mptcpCounters("srv");
        Outcome o = clientToKernel(64L << 20, true, false, null);
        Map<String, Long> after = tb.mptcpCounters("srv");
        o.assertIntact(64L << 20);
        assertEquals("true", o.peer().group(5), "kernel socket is MPTCP");
        assertEquals(1, delta(before, after, "MPCapableSYNRX"));
        assertEquals(1, delta(before, after, "MPCapableACKRX"));
        assertEquals(1, delta(before, after, "MPJoinSynRx"));
        assertEquals(1, delta(before, after, "MPJoinAckRx"));
        assertEquals(0, delta(before, after, "DataCsumErr") + delta(before, after, "MPCapableFallbackACK")
                + delta(before, after, "DSSNoMatchTCP"));
        assertEquals(2, o.subflowsCarryingData(), o.ncLog());
        assertEquals(1, o.stack("MPJoinFourthAckRx"), o.ncLog());
        // Out-of-order data past the right edge we advertised is dropped, as Linux drops it
        // (NoDSSInWindow). The kernel sends some now and then (it pairs a newer DATA_ACK with the
        // window of an older segment: 16 of 64,735 segments in one run); those bytes come again
        // (the sha256 above). More than 1 % would mean our window accounting went wrong.
        assertTrue(o.stack("NoDSSInWindow") * 100 <= o.stack("IN_SEGS"), o.ncLog());
        // The kernel announced 10.2.2.1 (a "signal" endpoint): the stack checked the HMAC and echoed
        // it (the kernel may repeat the announcement before the echo arrives).
        assertTrue(o.stack("AddAddr") >= 1, o.ncLog());
        assertTrue(delta(before, after, "EchoAdd") >= 1, after.toString());
    }

    @Test
    @Order(2)
    void kernelClientToJmptcpServerJoiningFromItsSecondAddress() throws Exception {
        // The kernel client joins from 10.2.2.1 (a "subflow" endpoint instead of "signal").
        tb.exec("srv", "ip", "mptcp", "endpoint", "flush").check();
        tb.exec("srv", "ip", "mptcp", "endpoint", "add", "10.2.2.1", "dev", P + "s2", "subflow").check();
        try {
            long bytes = 64L << 20;
            int port = nextPort++;
            Path in = input(bytes, port);
            Map<String, Long> before = tb.mptcpCounters("srv");
            Testbed.Proc nc = nc(tb, in, port, ncArgs(false, "-l", Integer.toString(port)));
            nc.awaitErr("listening on port", 30);
            Testbed.Proc peer = peer(tb, port, List.of("client", "10.3.1.1", Integer.toString(port), "--mptcp",
                    "--send", Long.toString(bytes), "--bind", "10.2.1.1"));
            Outcome o = outcome(nc, peer, in);
            Map<String, Long> after = tb.mptcpCounters("srv");
            o.assertIntact(bytes);
            assertEquals(1, delta(before, after, "MPCapableSYNACKRX"));
            assertEquals(1, delta(before, after, "MPJoinSynAckRx"));
            assertEquals(1, o.stack("MPCapableSYNRX"), o.ncLog());
            assertEquals(1, o.stack("MPJoinAckRx"), o.ncLog());
            assertEquals(2, o.subflowsCarryingData(), o.ncLog());
        } finally {
            tb.exec("srv", "ip", "mptcp", "endpoint", "flush");
            tb.exec("srv", "ip", "mptcp", "endpoint", "add", "10.2.2.1", "dev", P + "s2", "signal");
        }
    }

    @ParameterizedTest
    @Order(3)
    @CsvSource({"false,0", "true,0", "false,1", "true,1"})
    void checksumsInAllFourCombinations(boolean stackChecksum, int kernelChecksum) throws Exception {
        sysctl("srv", "net.mptcp.checksum_enabled=" + kernelChecksum);
        try {
            Map<String, Long> before = tb.mptcpCounters("srv");
            Outcome o = clientToKernel(8L << 20, true, stackChecksum, null);
            Map<String, Long> after = tb.mptcpCounters("srv");
            o.assertIntact(8L << 20);
            assertEquals("true", o.peer().group(5));
            assertEquals(0, delta(before, after, "DataCsumErr"));
            assertEquals(0, o.stack("DataCsumErr"), o.ncLog());
            assertEquals(1, delta(before, after, "MPCapableACKRX"));
            assertTrue(o.ncLog().contains("fallback=false"), o.ncLog());
        } finally {
            sysctl("srv", "net.mptcp.checksum_enabled=0");
        }
    }

    @Test
    @Order(4)
    void fallbackToKernelTcpPeer() throws Exception {
        Outcome o = clientToKernel(8L << 20, false, false, null);
        o.assertIntact(8L << 20);
        assertEquals("false", o.peer().group(5));
        assertEquals(1, o.stack("MPCapableFallbackSYNACK"), o.ncLog());
        assertTrue(o.ncLog().contains("fallback=true"), o.ncLog());
    }

    @ParameterizedTest
    @Order(5)
    @CsvSource({"syn,tcp flags & (syn | ack) == syn", "synack,tcp flags & (syn | ack) == syn | ack"})
    void fallbackWhenAMiddleboxStripsTheOption(String what, String match) throws Exception {
        nft("rtr", "add table inet jmpstrip");
        nft("rtr", "add chain inet jmpstrip fw { type filter hook forward priority -10 ; }");
        nft("rtr", "add rule inet jmpstrip fw " + match + " reset tcp option mptcp");
        try {
            Map<String, Long> before = tb.mptcpCounters("srv");
            Outcome o = clientToKernel(8L << 20, true, false, null);
            Map<String, Long> after = tb.mptcpCounters("srv");
            o.assertIntact(8L << 20);
            assertEquals(1, o.stack("MPCapableFallbackSYNACK"), o.ncLog());
            assertTrue(o.ncLog().contains("fallback=true"), o.ncLog());
            if (what.equals("syn")) {
                assertEquals(0, delta(before, after, "MPCapableSYNRX"));
            } else {
                // The kernel sent MP_CAPABLE on its SYN/ACK; our third ACK has none: it falls back.
                assertEquals(1, delta(before, after, "MPCapableSYNRX"));
                assertEquals(1, delta(before, after, "MPCapableFallbackACK"));
            }
        } finally {
            nft("rtr", "delete table inet jmpstrip");
        }
    }

    @Test
    @Order(6)
    void pathStopsPassingPacketsMidTransfer() throws Exception {
        try {
            Map<String, Long> before = tb.mptcpCounters("srv");
            Outcome o = clientToKernel(32L << 20, true, false, nc -> {
                nft("rtr", "add table inet jmpdrop");
                nft("rtr", "add chain inet jmpdrop fw { type filter hook forward priority -20 ; }");
                nft("rtr", "add rule inet jmpdrop fw iifname \"" + P + "r1\" counter drop");
                nft("rtr", "add rule inet jmpdrop fw oifname \"" + P + "r1\" counter drop");
            });
            Map<String, Long> after = tb.mptcpCounters("srv");
            o.assertIntact(32L << 20);
            // The path really stopped mid-transfer: the drop rules counted packets.
            String rules = tb.exec("rtr", "nft", "list table inet jmpdrop").check().output();
            Matcher m = Pattern.compile("counter packets (\\d+)").matcher(rules);
            long dropped = 0;
            while (m.find()) {
                dropped += Long.parseLong(m.group(1));
            }
            assertTrue(dropped > 0, rules);
            assertEquals(2, o.subflowsCarryingData(), o.ncLog());
            assertEquals(0, delta(before, after, "DataCsumErr") + delta(before, after, "DSSNoMatchTCP"));
        } finally {
            tb.exec("rtr", "nft", "delete table inet jmpdrop");
        }
    }

    @Test
    @Order(7)
    void kernelAbortReachesTheStackAsFastclose() throws Exception {
        Map<String, Long> before = tb.mptcpCounters("srv");
        Outcome o = clientToKernel(16L << 20, true, false, null, List.of("--abort-after", Integer.toString(2 << 20)));
        Map<String, Long> after = tb.mptcpCounters("srv");
        assertTrue(o.ncExit() != 0, "nc must see the reset\n" + o.ncLog());
        // Linux puts MP_FASTCLOSE on the RST of every subflow (two here).
        assertTrue(delta(before, after, "MPFastcloseTx") >= 1, after.toString());
        assertTrue(o.stack("MPFastcloseRx") >= 1, o.ncLog());
        // No state left in the kernel: no MPTCP or TCP socket on the port.
        String ss = tb.exec("srv", "ss", "-Mtan").check().output();
        assertTrue(!ss.contains(":" + (nextPort - 1) + " "), ss);
    }

    @Test
    @Order(7)
    void stackAbortReachesTheKernelAsFastclose() throws Exception {
        Map<String, Long> before = tb.mptcpCounters("srv");
        // SIGTERM to nc mid-transfer: the closing stack aborts its open connection, which MPTCP
        // does with MP_FASTCLOSE on every subflow (RFC 8684 section 3.5).
        Outcome o = clientToKernel(64L << 20, true, false, Testbed.Proc::terminate);
        Map<String, Long> after = tb.mptcpCounters("srv");
        assertTrue(o.ncExit() != 0, "nc was killed\n" + o.ncLog());
        assertTrue(o.peerJson().contains("\"reset\": true"), "the kernel's socket saw a reset: " + o.peerJson());
        assertTrue(delta(before, after, "MPFastcloseRx") >= 1, after.toString());
        assertEquals(1, o.stack("ABORTED_ON_CLOSE"), o.ncLog());
        // No state left in the kernel: no MPTCP or TCP socket on the port.
        String ss = tb.exec("srv", "ss", "-Mtan").check().output();
        assertTrue(!ss.contains(":" + (nextPort - 1) + " "), ss);
    }

    @Test
    @Order(8)
    void tsharkFindsNoMalformedOptionAndNoMissingMapping() throws Exception {
        Host.requireNetns("tcpdump", "tshark");
        int port = nextPort;
        Path pcap = tmp.resolve("interop.pcap");
        Testbed.Proc dump = tb.launch("srv", "tcpdump", "-i", "any", "-U", "-w", pcap.toString(), "tcp", "port",
                Integer.toString(port)).start();
        dump.awaitErr("listening on", 20);
        Outcome o;
        try {
            o = clientToKernel(4L << 20, true, true, null);
        } finally {
            dump.terminate();
            dump.exitCode(20);
        }
        o.assertIntact(4L << 20);
        String[] analysis = {"-o", "mptcp.analyze_mappings:TRUE", "-o", "mptcp.analyze_mptcp:TRUE",
                "-o", "mptcp.intersubflows_retransmission:TRUE"};
        // The capture holds jmptcp data segments with DSS mappings at all (so the checks below can fail).
        assertTrue(tshark(pcap, analysis, "ip.src == 10.3.0.0/16 && tcp.len > 0 && mptcp.dss.dsn").length() > 0);
        assertEquals("", tshark(pcap, analysis, "_ws.malformed || _ws.malformed.expert"));
        assertEquals("", tshark(pcap, analysis, "ip.src == 10.3.0.0/16 && tcp.len > 0 && mptcp.dss.missing_mapping"));
    }

    /** Frame numbers matching a display filter. */
    static String tshark(Path pcap, String[] opts, String filter) {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", pcap.toString(), "-n"));
        cmd.addAll(List.of(opts));
        cmd.addAll(List.of("-Y", filter, "-T", "fields", "-e", "frame.number"));
        Host.Result r = Host.run(120, cmd).check();
        StringBuilder sb = new StringBuilder();
        for (String line : r.output().split("\n")) {
            if (line.matches("\\d+")) {
                sb.append(line).append(' ');
            }
        }
        return sb.toString().trim();
    }

    @Test
    @Order(9)
    void fallbackWhenDssIsStrippedFromDataMidConnection() throws Exception {
        Map<String, Long> before = tb.mptcpCounters("srv");
        try {
            // One subflow (fallback is only possible then); from the middle of the transfer on, a
            // middlebox removes the MPTCP options from jmptcp's data segments.
            Outcome o = clientToKernel(32L << 20, true, false, nc -> {
                nft("rtr", "add table inet jmpdss");
                nft("rtr", "add chain inet jmpdss fw { type filter hook forward priority -10 ; }");
                nft("rtr", "add rule inet jmpdss fw iifname \"" + P + "r1\" ip length > 200 counter reset tcp option mptcp");
            }, List.of(), List.of("--max-subflows", "1"), 256 << 10);
            Map<String, Long> after = tb.mptcpCounters("srv");
            String rules = tb.exec("rtr", "nft", "list table inet jmpdss").output();
            o.assertIntact(32L << 20);
            assertTrue(!rules.contains("counter packets 0 "), "the middlebox never stripped anything: " + rules);
            assertTrue(o.ncLog().contains("fallback=true"), rules + "\n" + after + "\n" + o.ncLog());
            assertEquals(1, o.stack("DSSFallback"), o.ncLog());
            assertTrue(delta(before, after, "DssFallback") + delta(before, after, "DSSNoMatchTCP") >= 1, after.toString());
        } finally {
            tb.exec("rtr", "nft", "delete table inet jmpdss");
        }
    }
}
