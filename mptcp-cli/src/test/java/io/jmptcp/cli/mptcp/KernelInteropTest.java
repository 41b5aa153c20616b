package io.jmptcp.cli.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
class KernelInteropTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String P = "jmpk";
    private static final String CLI = P + "-cli";
    private static final String SRV = P + "-srv";
    private static final String RTR = P + "-rtr";
    private static final Pattern PEER = Pattern.compile(
            "\"sent\": (\\d+), \"sent_sha256\": \"([0-9a-f]+)\", \"received\": (\\d+), \"received_sha256\": \"([0-9a-f]+)\", \"mptcp\": (true|false)");
    private static Path tmp;
    private static String launcher;
    private static int nextPort = 15000; // not 6000-6063: tshark decodes those ports as X11

    @BeforeAll
    static void up() throws IOException {
        Host.requireNetns("python3", "nft", "nstat", "tc", "setsid", "bash");
        tmp = Files.createTempDirectory("jmp-interop");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = tmp.resolve("jmptcp");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + cp + "' io.jmptcp.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        launcher = script.toString();
        Host.run(300, List.of(REPO.resolve("scripts/testbed.sh").toString(), "up", "--prefix", P, "--paths", "2",
                "--rate", "all=200")).check();
    }

    @AfterAll
    static void down() {
        if (launcher != null) {
            Host.run(300, List.of(REPO.resolve("scripts/testbed.sh").toString(), "down", "--prefix", P));
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

    static Path input(long bytes, long seed, Path dir) throws IOException {
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

    static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] b = new byte[1 << 16];
            int n;
            while ((n = in.read(b)) > 0) {
                d.update(b, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The kernel's MPTcpExt counters in a namespace (absolute values). */
    static Map<String, Long> nstat(String ns) {
        Map<String, Long> m = new HashMap<>();
        String out = Host.run(30, List.of("ip", "netns", "exec", ns, "nstat", "-az")).check().output();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].startsWith("MPTcpExt")) {
                m.put(f[0].substring("MPTcpExt".length()), Long.parseLong(f[1]));
            }
        }
        return m;
    }

    static long delta(Map<String, Long> before, Map<String, Long> after, String c) {
        return after.getOrDefault(c, 0L) - before.getOrDefault(c, 0L);
    }

    static Process start(Path stdin, Path stdout, Path log, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(log.toFile());
        pb.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
                : ProcessBuilder.Redirect.from(stdin.toFile()));
        return pb.start();
    }

    static int await(Process p, int seconds) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            return -999;
        }
        return p.exitValue();
    }

    static List<String> ncArgs(boolean checksum, String... rest) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", CLI, launcher, "nc", "--tun", P + "t0",
                "--address", "10.3.1.1", "--address", "10.3.2.1"));
        if (checksum) {
            c.add("--checksum");
        }
        c.addAll(List.of(rest));
        return c;
    }

    /** jmptcp nc client to a kernel peer.py server. */
    static Outcome clientToKernel(long bytes, boolean kernelMptcp, boolean checksum, Runnable midway)
            throws Exception {
        return clientToKernel(bytes, kernelMptcp, checksum, midway, List.of());
    }

    static Outcome clientToKernel(long bytes, boolean kernelMptcp, boolean checksum, Runnable midway,
                                  List<String> peerExtra) throws Exception {
        return clientToKernel(bytes, kernelMptcp, checksum, midway, peerExtra, List.of(), Math.min(bytes / 4, 2 << 20));
    }

    /** {@code midway} runs once nc has received {@code midwayAt} bytes from the peer. */
    static Outcome clientToKernel(long bytes, boolean kernelMptcp, boolean checksum, Runnable midway,
                                  List<String> peerExtra, List<String> ncExtra, long midwayAt) throws Exception {
        int port = nextPort++;
        Path ready = tmp.resolve("ready-" + port);
        Path peerOut = tmp.resolve("peer-" + port);
        List<String> peerCmd = new ArrayList<>(List.of("ip", "netns", "exec", SRV, "python3",
                REPO.resolve("scripts/peer.py").toString(), "server", "--port", Integer.toString(port), "--send",
                Long.toString(bytes), "--ready", ready.toString()));
        if (kernelMptcp) {
            peerCmd.add("--mptcp");
        }
        peerCmd.addAll(peerExtra);
        Process peer = start(null, peerOut, tmp.resolve("peer-err-" + port), peerCmd);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(ready) && System.nanoTime() < deadline && peer.isAlive()) {
            Thread.onSpinWait();
        }
        assertTrue(Files.exists(ready), "peer did not start: " + Files.readString(tmp.resolve("peer-err-" + port)));
        Path in = input(bytes, port);
        Path out = tmp.resolve("nc-out-" + port);
        Path log = tmp.resolve("nc-log-" + port);
        List<String> ncCmd = ncArgs(checksum);
        ncCmd.addAll(ncExtra);
        ncCmd.addAll(List.of("10.2.1.1", Integer.toString(port)));
        Process nc = start(in, out, log, ncCmd);
        if (midway != null) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Files.size(out) < midwayAt && nc.isAlive() && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            midway.run();
        }
        int rc = await(nc, 120);
        await(peer, 30);
        return new Outcome(rc, Files.readString(log), sha256(out), Files.size(out), sha256(in),
                Files.readString(peerOut));
    }

    static void sysctl(String ns, String kv) {
        Host.run(30, List.of("ip", "netns", "exec", ns, "sysctl", "-qw", kv)).check();
    }

    static void nft(String ns, String script) {
        Host.run(30, List.of("ip", "netns", "exec", ns, "nft", script)).check();
    }

    // ---- tests ----------------------------------------------------------------------------------

    @Test
    @Order(1)
    void clientToKernelServer64MiBEachWayOnTwoSubflows() throws Exception {
        Map<String, Long> before = nstat(SRV);
        Outcome o = clientToKernel(64L << 20, true, false, null);
        Map<String, Long> after = nstat(SRV);
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
        // Nothing a subflow acknowledged was dropped at connection level for lack of window.
        assertEquals(0, o.stack("NoDSSInWindow"), o.ncLog());
        // The kernel announced 10.2.2.1 (a "signal" endpoint): the stack checked the HMAC and echoed
        // it (the kernel may repeat the announcement before the echo arrives).
        assertTrue(o.stack("AddAddr") >= 1, o.ncLog());
        assertTrue(delta(before, after, "EchoAdd") >= 1, after.toString());
    }

    @Test
    @Order(2)
    void kernelClientToJmptcpServerJoiningFromItsSecondAddress() throws Exception {
        // The kernel client joins from 10.2.2.1 (a "subflow" endpoint instead of "signal").
        Host.run(30, List.of("ip", "netns", "exec", SRV, "ip", "mptcp", "endpoint", "flush")).check();
        Host.run(30, List.of("ip", "netns", "exec", SRV, "ip", "mptcp", "endpoint", "add", "10.2.2.1", "dev",
                P + "s2", "subflow")).check();
        try {
            long bytes = 64L << 20;
            int port = nextPort++;
            Path in = input(bytes, port);
            Path out = tmp.resolve("nc-out-" + port);
            Path log = tmp.resolve("nc-log-" + port);
            Map<String, Long> before = nstat(SRV);
            Process nc = start(in, out, log, ncArgs(false, "-l", Integer.toString(port)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(log).contains("listening on port") && nc.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            Path peerOut = tmp.resolve("peer-" + port);
            Process peer = start(null, peerOut, tmp.resolve("peer-err-" + port), List.of("ip", "netns", "exec", SRV,
                    "python3", REPO.resolve("scripts/peer.py").toString(), "client", "10.3.1.1",
                    Integer.toString(port), "--mptcp", "--send", Long.toString(bytes), "--bind", "10.2.1.1"));
            int rc = await(nc, 120);
            await(peer, 30);
            Map<String, Long> after = nstat(SRV);
            Outcome o = new Outcome(rc, Files.readString(log), sha256(out), Files.size(out), sha256(in),
                    Files.readString(peerOut));
            o.assertIntact(bytes);
            assertEquals(1, delta(before, after, "MPCapableSYNACKRX"));
            assertEquals(1, delta(before, after, "MPJoinSynAckRx"));
            assertEquals(1, o.stack("MPCapableSYNRX"), o.ncLog());
            assertEquals(1, o.stack("MPJoinAckRx"), o.ncLog());
            assertEquals(2, o.subflowsCarryingData(), o.ncLog());
        } finally {
            Host.run(30, List.of("ip", "netns", "exec", SRV, "ip", "mptcp", "endpoint", "flush"));
            Host.run(30, List.of("ip", "netns", "exec", SRV, "ip", "mptcp", "endpoint", "add", "10.2.2.1", "dev",
                    P + "s2", "signal"));
        }
    }

    @ParameterizedTest
    @Order(3)
    @CsvSource({"false,0", "true,0", "false,1", "true,1"})
    void checksumsInAllFourCombinations(boolean stackChecksum, int kernelChecksum) throws Exception {
        sysctl(SRV, "net.mptcp.checksum_enabled=" + kernelChecksum);
        try {
            Map<String, Long> before = nstat(SRV);
            Outcome o = clientToKernel(8L << 20, true, stackChecksum, null);
            Map<String, Long> after = nstat(SRV);
            o.assertIntact(8L << 20);
            assertEquals("true", o.peer().group(5));
            assertEquals(0, delta(before, after, "DataCsumErr"));
            assertEquals(0, o.stack("DataCsumErr"), o.ncLog());
            assertEquals(1, delta(before, after, "MPCapableACKRX"));
            assertTrue(o.ncLog().contains("fallback=false"), o.ncLog());
        } finally {
            sysctl(SRV, "net.mptcp.checksum_enabled=0");
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
        nft(RTR, "add table inet jmpstrip");
        nft(RTR, "add chain inet jmpstrip fw { type filter hook forward priority -10 ; }");
        nft(RTR, "add rule inet jmpstrip fw " + match + " reset tcp option mptcp");
        try {
            Map<String, Long> before = nstat(SRV);
            Outcome o = clientToKernel(8L << 20, true, false, null);
            Map<String, Long> after = nstat(SRV);
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
            nft(RTR, "delete table inet jmpstrip");
        }
    }

    @Test
    @Order(6)
    void pathStopsPassingPacketsMidTransfer() throws Exception {
        try {
            Map<String, Long> before = nstat(SRV);
            Outcome o = clientToKernel(32L << 20, true, false, () -> {
                nft(RTR, "add table inet jmpdrop");
                nft(RTR, "add chain inet jmpdrop fw { type filter hook forward priority -20 ; }");
                nft(RTR, "add rule inet jmpdrop fw iifname \"" + P + "r1\" counter drop");
                nft(RTR, "add rule inet jmpdrop fw oifname \"" + P + "r1\" counter drop");
            });
            Map<String, Long> after = nstat(SRV);
            o.assertIntact(32L << 20);
            // The path really stopped mid-transfer: the drop rules counted packets.
            String rules = Host.run(30, List.of("ip", "netns", "exec", RTR, "nft", "list table inet jmpdrop"))
                    .check().output();
            Matcher m = Pattern.compile("counter packets (\\d+)").matcher(rules);
            long dropped = 0;
            while (m.find()) {
                dropped += Long.parseLong(m.group(1));
            }
            assertTrue(dropped > 0, rules);
            assertEquals(2, o.subflowsCarryingData(), o.ncLog());
            assertEquals(0, delta(before, after, "DataCsumErr") + delta(before, after, "DSSNoMatchTCP"));
        } finally {
            Host.run(30, List.of("ip", "netns", "exec", RTR, "nft", "delete table inet jmpdrop"));
        }
    }

    @Test
    @Order(7)
    void kernelAbortReachesTheStackAsFastclose() throws Exception {
        Map<String, Long> before = nstat(SRV);
        Outcome o = clientToKernel(16L << 20, true, false, null, List.of("--abort-after", Integer.toString(2 << 20)));
        Map<String, Long> after = nstat(SRV);
        assertTrue(o.ncExit() != 0, "nc must see the reset\n" + o.ncLog());
        // Linux puts MP_FASTCLOSE on the RST of every subflow (two here).
        assertTrue(delta(before, after, "MPFastcloseTx") >= 1, after.toString());
        assertTrue(o.stack("MPFastcloseRx") >= 1, o.ncLog());
        // No state left in the kernel: no MPTCP or TCP socket on the port.
        String ss = Host.run(30, List.of("ip", "netns", "exec", SRV, "ss", "-Mtan")).check().output();
        assertTrue(!ss.contains(":" + (nextPort - 1) + " "), ss);
    }

    @Test
    @Order(7)
    void stackAbortReachesTheKernelAsFastclose() throws Exception {
        Map<String, Long> before = nstat(SRV);
        // SIGTERM to nc mid-transfer: the closing stack aborts its open connection, which MPTCP
        // does with MP_FASTCLOSE on every subflow (RFC 8684 section 3.5).
        Outcome o = clientToKernel(64L << 20, true, false, () -> Host.run(30,
                List.of("pkill", "-TERM", "-f", "io.jmptcp.cli.Main nc --tun " + P + "t0")));
        Map<String, Long> after = nstat(SRV);
        assertTrue(o.ncExit() != 0, "nc was killed\n" + o.ncLog());
        assertTrue(o.peerJson().contains("\"reset\": true"), "the kernel's socket saw a reset: " + o.peerJson());
        assertTrue(delta(before, after, "MPFastcloseRx") >= 1, after.toString());
        assertEquals(1, o.stack("ABORTED_ON_CLOSE"), o.ncLog());
        // No state left in the kernel: no MPTCP or TCP socket on the port.
        String ss = Host.run(30, List.of("ip", "netns", "exec", SRV, "ss", "-Mtan")).check().output();
        assertTrue(!ss.contains(":" + (nextPort - 1) + " "), ss);
    }

    @Test
    @Order(8)
    void tsharkFindsNoMalformedOptionAndNoMissingMapping() throws Exception {
        Host.requireNetns("tcpdump", "tshark");
        int port = nextPort;
        Path pcap = tmp.resolve("interop.pcap");
        Path dumpLog = tmp.resolve("tcpdump.log");
        Process dump = start(null, tmp.resolve("tcpdump.out"), dumpLog, List.of("ip", "netns", "exec", SRV,
                "tcpdump", "-i", "any", "-U", "-w", pcap.toString(), "tcp", "port", Integer.toString(port)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(dumpLog).contains("listening on") && dump.isAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        Outcome o;
        try {
            o = clientToKernel(4L << 20, true, true, null);
        } finally {
            dump.destroy();
            await(dump, 20);
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
        Map<String, Long> before = nstat(SRV);
        try {
            // One subflow (fallback is only possible then); from the middle of the transfer on, a
            // middlebox removes the MPTCP options from jmptcp's data segments.
            Outcome o = clientToKernel(32L << 20, true, false, () -> {
                nft(RTR, "add table inet jmpdss");
                nft(RTR, "add chain inet jmpdss fw { type filter hook forward priority -10 ; }");
                nft(RTR, "add rule inet jmpdss fw iifname \"" + P + "r1\" ip length > 200 counter reset tcp option mptcp");
            }, List.of(), List.of("--max-subflows", "1"), 256 << 10);
            Map<String, Long> after = nstat(SRV);
            String rules = Host.run(30, List.of("ip", "netns", "exec", RTR, "nft", "list table inet jmpdss")).output();
            o.assertIntact(32L << 20);
            assertTrue(!rules.contains("counter packets 0 "), "the middlebox never stripped anything: " + rules);
            assertTrue(o.ncLog().contains("fallback=true"), rules + "\n" + after + "\n" + o.ncLog());
            assertEquals(1, o.stack("DSSFallback"), o.ncLog());
            assertTrue(delta(before, after, "DssFallback") + delta(before, after, "DSSNoMatchTCP") >= 1, after.toString());
        } finally {
            Host.run(30, List.of("ip", "netns", "exec", RTR, "nft", "delete table inet jmpdss"));
        }
    }
}
