package io.jmptcp.cli.nc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.tun.pcap.PcapWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
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
    private static final int SIZE = 64 << 20;
    private static final Pattern JSON_FIELD = Pattern.compile("\"(\\w+)\": (\"[0-9a-f]*\"|\\d+|true|false)");
    /** What tshark must not find in jmptcp's packets. */
    static final String BAD = "_ws.malformed || _ws.expert.severity >= error || tcp.checksum.status == \"Bad\""
            + " || ip.checksum.status == \"Bad\"";

    private Testbed tb;
    private Path tmp;
    private Path input;
    private String inputSha;

    @BeforeAll
    void up() throws Exception {
        Host.requireNetns("tshark", "python3", "nstat", "setsid", "bash");
        tb = Testbed.options(Testbed.randomPrefix("jrt")).paths(3).delay(2, 20).loss(2, 1).delay(3, 20).loss(3, 1).up();
        tmp = tb.dir();
        input = tmp.resolve("input");
        byte[] data = new byte[SIZE];
        new SplittableRandom(ThreadLocalRandom.current().nextLong()).nextBytes(data);
        Files.write(input, data);
        inputSha = Testbed.sha256(input);
    }

    @AfterAll
    void down() {
        if (tb != null) {
            tb.close();
        }
    }

    @Test
    void cleanPathJmptcpClientToKernelServer() throws Exception {
        Run r = clientRun(1, 5101, "--stats", "50");
        r.check();
        // --stats: JSON lines on stderr, the connection's bytes growing to what was sent.
        long last = -1;
        int lines = 0;
        for (String line : r.ncLog.split("\n")) {
            if (line.startsWith("{")) {
                var info = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("info");
                long sent = info.get("bytesSent").asLong();
                assertTrue(sent >= last, line);
                assertEquals(1, info.get("subflows").size(), line);
                assertTrue(info.get("subflows").get(0).has("cwndBytes"), line);
                last = sent;
                lines++;
            }
        }
        assertTrue(lines >= 2 && last > 0, "--stats printed " + lines + " lines:\n" + r.ncLog);
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
            Map<String, Long> kernel = tb.counters("srv");
            for (String counter : List.of("TcpInCsumErrors", "TcpInErrs")) {
                assertEquals(0L, kernel.get(counter), "kernel server counter " + counter);
            }
        }
    }

    private Run clientRun(int path, int port, String... ncOptions) throws Exception {
        Path ready = tmp.resolve("ready-" + port);
        Path peerOut = tmp.resolve("peer-" + port + ".json");
        Testbed.Proc peer = tb.launch("srv", "python3", Testbed.script("peer.py").toString(), "server",
                "--port", Integer.toString(port), "--send", Integer.toString(SIZE), "--ready", ready.toString())
                .stdout(peerOut).stderr(tmp.resolve("peer-" + port + ".err")).start();
        try {
            peer.await(ready + " to exist", 30, () -> Files.exists(ready));
            Path out = tmp.resolve("out-" + port);
            Path err = tmp.resolve("nc-" + port + ".err");
            Path pcap = tmp.resolve("nc-" + port + ".pcap");
            List<String> args = new ArrayList<>(List.of(ncOptions));
            args.addAll(List.of("10.2." + path + ".1", Integer.toString(port)));
            Testbed.Proc nc = nc(path, pcap, out, err, args.toArray(String[]::new));
            int code = nc.exitCode(280);
            peer.exitCode(30);
            return new Run(path, port, code, nc.err(), Testbed.sha256(out), json(Files.readString(peerOut)), pcap);
        } finally {
            peer.stop();
        }
    }

    private Run serverRun(int path, int port) throws Exception {
        Path out = tmp.resolve("out-" + port);
        Path err = tmp.resolve("nc-" + port + ".err");
        Path pcap = tmp.resolve("nc-" + port + ".pcap");
        Testbed.Proc nc = nc(path, pcap, out, err, "-l", Integer.toString(port));
        try {
            nc.awaitErr("listening on port " + port, 60);
            Host.Result peer = tb.exec(280, "srv", List.of("python3", Testbed.script("peer.py").toString(), "client",
                    "10.3." + path + ".1", Integer.toString(port), "--send", Integer.toString(SIZE),
                    "--bind", "10.2." + path + ".1"));
            assertEquals(0, peer.exitCode(), peer.output());
            int code = nc.exitCode(60);
            return new Run(path, port, code, nc.err(), Testbed.sha256(out), json(peer.output()), pcap);
        } finally {
            nc.stop();
        }
    }

    private Testbed.Proc nc(int path, Path pcap, Path out, Path err, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("nc", "--mptcp", "off", "--tun", tb.prefix() + "t" + path,
                "--address", "10.3." + path + ".1", "--pcap", pcap.toString()));
        cmd.addAll(List.of(args));
        return tb.jmptcp("cli", cmd.toArray(String[]::new)).stdin(input).stdout(out).stderr(err).start();
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
