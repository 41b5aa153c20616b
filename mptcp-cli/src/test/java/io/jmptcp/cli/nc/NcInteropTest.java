package io.jmptcp.cli.nc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.testutil.Host;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.tun.pcap.PcapWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code jmptcp nc --mptcp off} against the Linux kernel's TCP on the testbed: jmptcp client to a
 * kernel server and kernel client to {@code nc -l}, 64 MiB each way at once, SHA-256 compared on
 * both ends; on a clean path (path 1) and on paths with 20 ms delay each way and 1 % loss each way
 * (paths 2 and 3, whose two runs go in parallel to keep the class short). Every run records its
 * packets with {@code --pcap}; tshark must find no malformed packet, no expert error and no bad IP
 * or TCP checksum among those jmptcp sent, and the kernel server must count no checksum errors.
 */
@Tag("netns")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NcInteropTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final int SIZE = 64 << 20;
    private static final Pattern JSON_FIELD = Pattern.compile("\"(\\w+)\": (\"[0-9a-f]*\"|\\d+|true|false)");
    /** What tshark must not find in jmptcp's packets. */
    static final String BAD = "_ws.malformed || _ws.expert.severity >= error || tcp.checksum.status == \"Bad\""
            + " || ip.checksum.status == \"Bad\"";

    private Path tmp;
    private String prefix;
    private String jmptcp;
    private Path input;
    private String inputSha;

    @BeforeAll
    void up() throws Exception {
        Host.requireNetns("tshark", "python3", "nstat", "setsid", "bash");
        tmp = Files.createTempDirectory("jrt-nc");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = tmp.resolve("jmptcp");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + cp + "' io.jmptcp.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        jmptcp = script.toString();
        input = tmp.resolve("input");
        byte[] data = new byte[SIZE];
        new SplittableRandom(ThreadLocalRandom.current().nextLong()).nextBytes(data);
        Files.write(input, data);
        inputSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        prefix = "jrt" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0xfff));
        Host.Result r = testbed("up", "--prefix", prefix, "--paths", "3", "--delay", "2=20", "--loss", "2=1",
                "--delay", "3=20", "--loss", "3=1");
        assertEquals(0, r.exitCode(), r.output());
    }

    @AfterAll
    void down() throws IOException {
        if (prefix != null) {
            testbed("down", "--prefix", prefix);
        }
        if (tmp != null) {
            try (var files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    private Host.Result testbed(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "JMPTCP_CMD=" + jmptcp, REPO.resolve("scripts/testbed.sh").toString()));
        cmd.addAll(List.of(args));
        return Host.run(300, cmd);
    }

    @Test
    void cleanPathJmptcpClientToKernelServer() throws Exception {
        Run r = clientRun(1, 5101);
        r.check();
    }

    @Test
    void cleanPathKernelClientToJmptcpServer() throws Exception {
        Run r = serverRun(1, 5102);
        r.check();
    }

    @Test
    void delayAndLossBothRolesInParallel() throws Exception {
        CompletableFuture<Run> client = CompletableFuture.supplyAsync(() -> unchecked(() -> clientRun(2, 5201)));
        CompletableFuture<Run> server = CompletableFuture.supplyAsync(() -> unchecked(() -> serverRun(3, 5202)));
        Run c = client.get();
        Run s = server.get();
        c.check();
        s.check();
        // The lossy path really lost packets: the stack retransmitted.
        assertTrue(c.ncLog.contains("RETRANS_SEGS="), "client retransmitted nothing on a lossy path:\n" + c.ncLog);
        assertTrue(s.ncLog.contains("RETRANS_SEGS="), "server retransmitted nothing on a lossy path:\n" + s.ncLog);
    }

    /** The tshark check finds a bad checksum when there is one (so a clean result means something). */
    @Test
    void tsharkFlagsABadChecksumFromTheStack() throws Exception {
        Path pcap = tmp.resolve("bad.pcap");
        ByteBuffer p = ByteBuffer.allocate(100);
        TcpHeader h = new TcpHeader(40000, 80, 1, 0, TcpHeader.SYN, 1000, 0, 0, List.of());
        int n = IpPacketCodec.emit(p, 0, InetAddress.getByName("10.3.1.1"), InetAddress.getByName("10.2.1.1"),
                64, h, ByteBuffer.allocate(0), 0, 0);
        try (PcapWriter w = PcapWriter.create(pcap)) {
            w.write(1, p.duplicate().limit(n));
            p.put(20 + 16, (byte) (p.get(20 + 16) ^ 0x5a)); // the TCP checksum
            w.write(2, p.duplicate().limit(n));
        }
        assertEquals(1, tsharkBad(pcap, "10.3.1.1", 80).size());
        assertEquals(1, tsharkGood(pcap, "10.3.1.1", 80));
    }

    // ---------------------------------------------------------------------------------------------

    private interface IoCall<T> {
        T call() throws Exception;
    }

    private static <T> T unchecked(IoCall<T> c) {
        try {
            return c.call();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** The outcome of one transfer. */
    private final class Run {
        final int path;
        final int ncExit;
        final String ncLog;
        final String outputSha;
        final Map<String, String> peer;
        final Path pcap;
        final int port;

        Run(int path, int port, int ncExit, String ncLog, String outputSha, Map<String, String> peer, Path pcap) {
            this.port = port;
            this.path = path;
            this.ncExit = ncExit;
            this.ncLog = ncLog;
            this.outputSha = outputSha;
            this.peer = peer;
            this.pcap = pcap;
        }

        void check() throws Exception {
            assertEquals(0, ncExit, "nc failed on path " + path + ":\n" + ncLog);
            assertEquals(Integer.toString(SIZE), peer.get("received"), "kernel received " + peer);
            assertEquals(inputSha, peer.get("received_sha256"), "what the kernel received differs from stdin");
            assertEquals(Integer.toString(SIZE), peer.get("sent"), peer.toString());
            assertEquals(peer.get("sent_sha256"), outputSha, "nc's stdout differs from what the kernel sent");
            String stack = "10.3." + path + ".1";
            List<String> bad = tsharkBad(pcap, stack, port);
            assertTrue(bad.isEmpty(), "tshark flags packets from jmptcp (frame, expert messages, flags, "
                    + "seq, len):\n" + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
            assertTrue(tsharkGood(pcap, stack, port) > SIZE / 1500, "too few good packets from jmptcp in the capture");
            String nstat = Host.sh("ip netns exec " + prefix + "-srv nstat -az TcpInCsumErrors TcpInErrs");
            for (String line : nstat.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].startsWith("Tcp")) {
                    assertEquals("0", f[1], "kernel server counter " + f[0] + ":\n" + nstat);
                }
            }
        }
    }

    private Run clientRun(int path, int port) throws Exception {
        Path ready = tmp.resolve("ready-" + port);
        Path peerOut = tmp.resolve("peer-" + port + ".json");
        Process peer = new ProcessBuilder("ip", "netns", "exec", prefix + "-srv", "python3",
                REPO.resolve("scripts/peer.py").toString(), "server", "--port", Integer.toString(port),
                "--send", Integer.toString(SIZE), "--ready", ready.toString())
                .redirectOutput(peerOut.toFile()).redirectErrorStream(false)
                .redirectError(tmp.resolve("peer-" + port + ".err").toFile()).start();
        try {
            awaitFile(ready, 30);
            Path out = tmp.resolve("out-" + port);
            Path err = tmp.resolve("nc-" + port + ".err");
            Path pcap = tmp.resolve("nc-" + port + ".pcap");
            Process nc = nc(path, pcap, out, err, "10.2." + path + ".1", Integer.toString(port));
            int code = waitFor(nc, 280);
            assertTrue(peer.waitFor(30, TimeUnit.SECONDS), "peer.py did not finish");
            return new Run(path, port, code, Files.readString(err), sha(out), json(Files.readString(peerOut)), pcap);
        } finally {
            peer.destroyForcibly();
        }
    }

    private Run serverRun(int path, int port) throws Exception {
        Path out = tmp.resolve("out-" + port);
        Path err = tmp.resolve("nc-" + port + ".err");
        Path pcap = tmp.resolve("nc-" + port + ".pcap");
        Process nc = nc(path, pcap, out, err, "-l", Integer.toString(port));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(err).contains("listening on port " + port)) {
                assertTrue(nc.isAlive(), "nc -l exited:\n" + Files.readString(err));
                assertTrue(System.nanoTime() < deadline, "nc -l did not start listening:\n" + Files.readString(err));
                Thread.sleep(50);
            }
            Host.Result peer = Host.run(280, List.of("ip", "netns", "exec", prefix + "-srv", "python3",
                    REPO.resolve("scripts/peer.py").toString(), "client", "10.3." + path + ".1", Integer.toString(port),
                    "--send", Integer.toString(SIZE), "--bind", "10.2." + path + ".1"));
            assertEquals(0, peer.exitCode(), peer.output());
            int code = waitFor(nc, 60);
            return new Run(path, port, code, Files.readString(err), sha(out), json(peer.output()), pcap);
        } finally {
            nc.destroyForcibly();
        }
    }

    private Process nc(int path, Path pcap, Path out, Path err, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "-cli", jmptcp, "nc", "--mptcp", "off",
                "--tun", prefix + "t" + path, "--address", "10.3." + path + ".1", "--pcap", pcap.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(input.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
    }

    private static int waitFor(Process p, int seconds) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("nc did not finish within " + seconds + " s");
        }
        return p.exitValue();
    }

    private static void awaitFile(Path f, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.exists(f)) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + f);
            Thread.sleep(20);
        }
    }

    private static String sha(Path f) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The fields of peer.py's one-line JSON (flat: strings, numbers, booleans). */
    static Map<String, String> json(String text) {
        Map<String, String> m = new java.util.HashMap<>();
        Matcher x = JSON_FIELD.matcher(text);
        while (x.find()) {
            m.put(x.group(1), x.group(2).replace("\"", ""));
        }
        return m;
    }

    /** The frames from {@code from} that match {@link #BAD}, one line each with what tshark says. */
    private static List<String> tsharkBad(Path pcap, String from, int port) {
        return tshark(pcap, port, "ip.src == " + from + " && (" + BAD + ")", "-e", "frame.number", "-e", "_ws.expert.message",
                "-e", "tcp.flags.str", "-e", "tcp.seq_raw", "-e", "tcp.len");
    }

    private static int tsharkGood(Path pcap, String from, int port) {
        return tsharkCount(pcap, port, "ip.src == " + from + " && tcp.checksum.status == \"Good\" && ip.checksum.status == \"Good\"");
    }

    private static int tsharkCount(Path pcap, int port, String filter) {
        return tshark(pcap, port, filter, "-e", "frame.number").size();
    }

    /**
     * tshark's field lines for the frames matching {@code filter} (its stderr banner left out). The
     * payload on {@code port} is decoded as plain data: random bytes would otherwise make heuristic
     * application dissectors (Thrift, ...) report errors that are not about TCP.
     */
    private static List<String> tshark(Path pcap, int port, String filter, String... fields) {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(), "-o", "tcp.check_checksum:TRUE",
                "-o", "ip.check_checksum:TRUE", "-d", "tcp.port==" + port + ",data", "-Y", filter, "-T", "fields"));
        cmd.addAll(List.of(fields));
        Host.Result r = Host.run(240, cmd);
        assertEquals(0, r.exitCode(), r.output());
        List<String> lines = new ArrayList<>();
        for (String line : r.output().split("\n")) {
            if (line.matches("\\d+(\\t.*)?")) {
                lines.add(line);
            }
        }
        return lines;
    }
}
