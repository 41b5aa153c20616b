package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jmptcp.cli.status.StatusCommand;
import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The network-side attacks of issue 13 against the real daemon: a forward-mode daemon on the
 * server side of the testbed (10.4.1.1:8080, relaying to a kernel HTTP server), a kernel MPTCP
 * client (mptcpize curl) in the client namespace, and packets crafted by scapy
 * ({@code scripts/attack.py}) in the client namespace, which also sniffs what the daemon answers.
 * Each case checks the daemon's own counters, what scapy saw, and the live transfer's SHA-256.
 */
@Tag("netns")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the SYN flood last: see its case
class AttackNetnsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Uncounted pure ACKs of the daemon's own allowed among those sniffed in case d (see there). */
    private static final int OWN_PURE_ACKS = 3;
    private Testbed tb;
    private Path tmp;
    private Path www;
    private Path control;
    private String c1;
    private String c2;
    private Testbed.Proc daemon;

    @BeforeAll
    void up() throws Exception {
        Host.requireNetns("python3", "curl", "mptcpize", "nft", "scapy");
        tb = Testbed.options(Testbed.randomPrefix("jat")).paths(2).serverStack().noSignal().up();
        tmp = tb.dir();
        c1 = tb.prefix() + "c1";
        c2 = tb.prefix() + "c2";
        www = Files.createDirectories(tmp.resolve("www"));
        byte[] file = new byte[16 << 20];
        new SplittableRandom(13).nextBytes(file);
        Files.write(www.resolve("file.bin"), file);
        // Case d's download: 24 s at its 2 MB/s, so it outlives the attack even when curl (whose
        // limit is an average) catches up after a slow start: with the 16 MiB file it once finished,
        // and the client's FIN moved rcv.nxt, while the injections were under way.
        byte[] big = new byte[48 << 20];
        new SplittableRandom(14).nextBytes(big);
        Files.write(www.resolve("big.bin"), big);
        tb.launch("srv", "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", www.toString(), "8000")
                .start();
        control = tmp.resolve("srv.sock");
        daemon = tb.jmptcp("srv", "daemon", "--tun", tun(), "--address", "10.4.1.1",
                "--address", "10.4.2.1", "--forward", "8080=127.0.0.1:8000", "--socks", "off", "--control",
                control.toString(), "--max-subflows", "8", "--add-addr-accepted", "8").start();
        daemon.await("the daemon to answer on its control socket", 60, () -> status() != null);
        // The kernel queues what it routes into the TUN device until the daemon reads it, 500 packets
        // by default: a burst of 300 injections on top of the transfer overflowed it when the daemon
        // was slow to read (2 busy cores), and those never reached the stack to be counted.
        tb.sh("srv", "ip link set dev " + tun() + " txqueuelen 10000").check();
        Testbed.await("the HTTP server", 20, () -> tb.sh("srv", "ss -ltn | grep -q '127.0.0.1:8000 '").exitCode() == 0);
        // The kernel did not open the attacker's connections and would reset them: drop its RSTs
        // from the attack ports (scapy sends through AF_PACKET, below this hook).
        tb.sh("cli", "nft -f - <<'NFT'\ntable inet attack {\n chain out {\n  type filter hook output priority 0;\n"
                + "  tcp sport 61000-61999 tcp flags rst drop\n }\n}\nNFT").check();
        // Addresses an ADD_ADDR may announce: a join the daemon sends to them is sniffed on c1.
        tb.sh("cli", "ip addr add 10.1.1.98/24 dev " + c1 + " && ip addr add 10.1.1.99/24 dev " + c1).check();
    }

    private String tun() {
        return tb.prefix() + "s0";
    }

    /** Packets the kernel dropped on their way into the daemon's TUN device (its queue was full). */
    private long tunDropped() {
        Host.Result r = tb.sh("srv", "cat /sys/class/net/" + tun() + "/statistics/tx_dropped").check();
        return Long.parseLong(r.output().strip());
    }

    @AfterAll
    void down() {
        if (tb != null) {
            tb.close();
        }
    }

    private JsonNode status() {
        try {
            String s = StatusCommand.ask(control, "status");
            return s.startsWith("{") ? JSON.readTree(s) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private long counter(String name) {
        JsonNode v = status().path("counters").path(name);
        assertTrue(v.isNumber(), name + " in the daemon's counters");
        return v.asLong();
    }

    private List<String> attackArgs(String iface, String gw, String src, String... rest) {
        List<String> c = new ArrayList<>(List.of(Testbed.script("attack.py").toString(), "--iface", iface, "--gw", gw,
                "--src", src, "--dst", "10.4.1.1", "--dport", "8080", "--also-iface", iface.equals(c1) ? c2 : c1));
        c.addAll(List.of(rest));
        return c;
    }

    private Testbed.Proc attack(String... rest) throws IOException {
        return tb.launch("cli", attackArgs(c1, "10.1.1.254", "10.1.1.1", rest).toArray(String[]::new))
                .stderr(tmp.resolve("attack-" + rest[0] + ".err")).start();
    }

    private static JsonNode result(Testbed.Proc p, int seconds) throws Exception {
        assertEquals(0, p.exitCode(seconds), p.err());
        String out = p.out().strip();
        System.out.println("attack.py: " + out + "\n  stderr: " + p.err().strip());
        return JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
    }

    private Testbed.Proc download(Path out, String rate) throws IOException {
        return download("file.bin", out, rate);
    }

    private Testbed.Proc download(String file, Path out, String rate) throws IOException {
        return tb.launch("cli", "mptcpize", "run", "curl", "-sS", "--fail", "--limit-rate", rate, "-o", out.toString(),
                "http://10.4.1.1:8080/" + file).stderr(tmp.resolve(out.getFileName() + ".err")).start();
    }

    private void assertIntact(Testbed.Proc curl, Path out) throws Exception {
        assertIntact("file.bin", curl, out);
    }

    private void assertIntact(String file, Testbed.Proc curl, Path out) throws Exception {
        assertEquals(0, curl.exitCode(90), curl.err());
        assertEquals(Testbed.sha256(www.resolve(file)), Testbed.sha256(out), "the transfer is intact");
    }

    /** a. MP_JOIN SYNs with unknown tokens: each answered by a RST with MP_TCPRST, counted, nothing kept. */
    @Test
    void joinWithAnUnknownTokenIsResetAndCounted() throws Exception {
        int n = 300;
        long before = counter("mptcp_mpjoinnotokenfound");
        int conns = status().path("connections").size();
        JsonNode r = result(attack("join-unknown", "--count", String.valueOf(n)), 60);
        assertEquals(n, r.path("rst").asInt(), "a RST for each: " + r);
        assertEquals(n, r.path("mp_tcprst").asInt(), "each with MP_TCPRST: " + r);
        assertEquals("[1]", r.path("reasons").toString(), "reason 0x01, MPTCP error");
        assertEquals(0, r.path("synack").asInt());
        assertEquals(n, counter("mptcp_mpjoinnotokenfound") - before);
        assertEquals(conns, status().path("connections").size(), "no connection kept");
    }

    /**
     * b. An on-path attacker reads the daemon's key in the MP_CAPABLE SYN/ACK of a live connection
     * and joins it with that token, answering the daemon's SYN/ACK with a wrong HMAC in the third
     * ACK: MP_TCPRST, counted, and the transfer carries on intact.
     */
    @Test
    void joinWithTheRealTokenAndAWrongHmacIsResetAndTheTransferCarriesOn() throws Exception {
        long before = counter("mptcp_mpjoinackhmacfailure");
        Testbed.Proc a = tb.launch("cli", attackArgs(c2, "10.1.2.254", "10.1.2.1", "--hs-iface", c1, "join-bad-hmac",
                "--join-src", "10.1.2.1").toArray(String[]::new)).stderr(tmp.resolve("attack-join.err")).start();
        a.awaitErr("ready", 30);
        Path out = tmp.resolve("b.bin");
        Testbed.Proc curl = download(out, "4M");
        JsonNode r = result(a, 60);
        assertTrue(r.path("synack_mp_join").asBoolean(), "the daemon answered the join with its HMAC: " + r);
        assertTrue(r.path("mp_tcprst").asInt() >= 1, "then reset it with MP_TCPRST: " + r);
        assertEquals(1, counter("mptcp_mpjoinackhmacfailure") - before);
        assertIntact(curl, out);
    }

    private Set<String> connectionIds() {
        Set<String> ids = new HashSet<>();
        status().path("connections").forEach(c -> ids.add(c.path("id").asText()));
        return ids;
    }

    /**
     * Waits until a connection not in {@code before} has sent {@code bytes} (the download is under
     * way; one of an earlier case may still be closing) and returns its subflows' client ports.
     */
    private List<String> awaitTransferUnderWay(Set<String> before, long bytes) throws InterruptedException {
        List<String> ports = new ArrayList<>();
        Testbed.await("the transfer under way", 30, () -> {
            for (JsonNode c : status().path("connections")) {
                if (!before.contains(c.path("id").asText()) && c.path("bytes_sent").asLong() > bytes) {
                    System.out.println("the transfer under way: " + c);
                    ports.clear();
                    c.path("subflows").forEach(s -> {
                        String remote = s.path("remote").asText();
                        ports.add(remote.substring(remote.lastIndexOf(':') + 1));
                    });
                    return true;
                }
            }
            return false;
        });
        return ports;
    }

    /**
     * c. ADD_ADDRs injected on the live subflow (in-window seq/ack of the client's next segment,
     * read once the transfer is under way): one for 10.1.1.99 with a wrong HMAC, then one for
     * 10.1.1.98 with the right one (both keys crossed the wire in the handshake). The daemon joins
     * 10.1.1.98 only, which shows it would have joined; each ADD_ADDR is counted, one dropped and one
     * taken.
     */
    @Test
    void addAddrWithAWrongHmacIsIgnoredAndCounted() throws Exception {
        long drop = counter("mptcp_addaddrdrop");
        long ok = counter("mptcp_addaddr");
        Path go = tmp.resolve("c.go");
        Testbed.Proc a = attack("add-addr", "--bad-addr", "10.1.1.99", "--good-addr", "10.1.1.98", "--go-file",
                go.toString());
        a.awaitErr("ready", 30);
        Set<String> before = connectionIds();
        Path out = tmp.resolve("c.bin");
        Testbed.Proc curl = download(out, "4M");
        List<String> ports = awaitTransferUnderWay(before, 1 << 20);
        Files.writeString(go, String.join(" ", ports) + "\n");
        JsonNode r = result(a, 60);
        assertTrue(r.path("join_to_good").asBoolean(), "the right HMAC gets a join (the control): " + r);
        assertEquals(0, r.path("syn_to_bad").asInt(), "no SYN to the address with the wrong HMAC: " + r);
        assertEquals(1, counter("mptcp_addaddrdrop") - drop, "the wrong HMAC dropped");
        assertEquals(1, counter("mptcp_addaddr") - ok, "the right HMAC taken");
        assertTrue(!status().toString().contains("10.1.1.99"), "no subflow to 10.1.1.99");
        assertIntact(curl, out);
    }

    /**
     * d. RFC 5961 on the live subflow: RSTs in the window but not at rcv.nxt and SYNs in the window
     * get challenge ACKs, at most 100 a second per subflow, and each of them is either challenged or
     * counted as over the limit; RSTs and data outside the window are dropped; nothing resets the
     * subflow and the transfer completes intact.
     */
    @Test
    void blindInjectionIsChallengedAndRateLimitedAndTheTransferCompletes() throws Exception {
        Set<String> before = connectionIds();
        Path out = tmp.resolve("d.bin");
        Testbed.Proc curl = download("big.bin", out, "2M");
        List<String> ports = awaitTransferUnderWay(before, 1 << 20);
        long ch = counter("tcp_challenge_acks");
        long lim = counter("tcp_challenge_ack_limited");
        long oowRst = counter("tcp_drop_rst_out_of_window");
        long oow = counter("tcp_drop_out_of_window");
        long paws = counter("tcp_drop_paws");
        long probes = counter("tcp_window_probes");
        long resets = counter("tcp_resets_received");
        long tunDrops = tunDropped();
        int n = 300;
        List<String> args = new ArrayList<>(List.of("blind", "--count", String.valueOf(n)));
        ports.forEach(p -> args.addAll(List.of("--client-port", p)));
        JsonNode r = result(attack(args.toArray(String[]::new)), 60);
        long challenges = counter("tcp_challenge_acks") - ch;
        long limited = counter("tcp_challenge_ack_limited") - lim;
        double secs = r.path("in_window_seconds").asDouble();
        long sniffed = r.path("rst_in_window").path("pure_acks").asLong() + r.path("syn_in_window").path("pure_acks").asLong();
        long oowRstAnswers = r.path("rst_out_of_window").path("pure_acks").asLong();
        // The daemon's own pure ACKs on the subflow meanwhile: zero-window probes (curl's rate
        // limit fills the client's window), as Linux an ACK below snd.una, and now and then one that
        // no counter names (one in each of 3 of 5 runs, in the in-window RST or SYN phase, an ACK of
        // rcv.nxt with no MPTCP option but DSS, as a challenge ACK: a window update, say).
        long ownAcks = counter("tcp_window_probes") - probes + OWN_PURE_ACKS;
        String seen = String.format("%d challenged, %d limited, %d sniffed (%d in the out-of-window RST phase), "
                + "%d own pure ACKs allowed (window probes + %d), over %.2f s; dropped: %d out-of-window RSTs, "
                + "%d out of window, %d PAWS, %d by the kernel before the TUN device: %s",
                challenges, limited, sniffed, oowRstAnswers, ownAcks, OWN_PURE_ACKS, secs,
                counter("tcp_drop_rst_out_of_window") - oowRst, counter("tcp_drop_out_of_window") - oow, counter("tcp_drop_paws") - paws, tunDropped() - tunDrops, r);
        seen += "; curl " + (curl.isAlive() ? "running" : "exited " + curl.process().exitValue() + " " + curl.err().strip())
                + "; connections now " + status().path("connections") + "; resets received "
                + (counter("tcp_resets_received") - resets);
        System.out.println("blind: " + seen);
        // The case's precondition: the download was still running when the attack ended.
        assertTrue(curl.isAlive(), "the download outlived the attack: " + seen);
        // Every one of the 2n in-window injections: a challenge ACK or one over the limit.
        assertEquals(2L * n, challenges + limited, "each in-window RST and SYN challenged or limited: " + seen);
        assertTrue(challenges >= 1, "challenge ACKs sent: " + seen);
        // The 1 s windows the injections touched (one subflow, at most 100 each).
        assertTrue(challenges <= 100 * ((long) Math.ceil(secs) + 1), "at most 100 a second: " + seen);
        assertTrue(sniffed >= 1 && sniffed + oowRstAnswers <= challenges + ownAcks,
                "sniffed pure ACKs: challenge ACKs, or the daemon's own: " + seen);
        assertTrue(oowRstAnswers <= ownAcks, "no answer to a RST outside the window (only the daemon's own): " + seen);
        assertEquals(n, counter("tcp_drop_rst_out_of_window") - oowRst, "each RST outside the window dropped: " + seen);
        assertTrue(counter("tcp_drop_out_of_window") - oow >= n, "the data outside the window dropped: " + seen);
        assertEquals(resets, counter("tcp_resets_received"), "no subflow reset");
        assertIntact("big.bin", curl, out);
    }

    /** The daemon's used heap after a full GC, KiB (jcmd GC.run, GC.heap_info). */
    private long daemonHeapAfterGcKib() throws Exception {
        for (int i = 0; i < 2; i++) {
            tb.sh("srv", "jcmd " + daemon.pid() + " GC.run >/dev/null").check();
        }
        String info = tb.sh("srv", "jcmd " + daemon.pid() + " GC.heap_info").check().output();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(" used (\\d+)K").matcher(info);
        assertTrue(m.find(), info);
        return Long.parseLong(m.group(1));
    }

    /** The daemon's resident set, KiB (its process is the JVM: checked). */
    private long daemonRssKib() throws IOException {
        String cmd = Files.readString(Path.of("/proc/" + daemon.pid() + "/cmdline"));
        assertTrue(cmd.contains("java"), "the daemon's pid is the JVM: " + cmd);
        for (String l : Files.readAllLines(Path.of("/proc/" + daemon.pid() + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS");
    }

    /**
     * e. A SYN flood: 300,000 SYNs with MP_CAPABLE from random addresses and ports of the client's
     * /24 at the forward port. A download that connected before the flood goes on through it;
     * a second client connects while the flood is under way (its SYN beyond the full SYN queue,
     * so it gets in with a SYN cookie: a kernel MPTCP client on a cookie's connection). The
     * daemon keeps at most its half-open bound, answers the rest with cookies and keeps nothing
     * for them, its memory stays bounded, and both downloads are intact.
     */
    // Last: the flood leaves up to 1024 half-open connections in the daemon until their SYN,ACKs give
    // up, so a case after it met a full SYN queue. In one CI run (2026-12-04) the next two cases'
    // curl connections then came up as plain TCP ("mptcp":false) and their sniffers saw no
    // MP_CAPABLE handshake; not diagnosed further (the cookie path is the suspect).
    @Test
    @Order(Order.DEFAULT + 1)
    void aSynFloodFromRandomSourcesLeavesRoomForALegitimateClient() throws Exception {
        long evicted = counter("half_open_evicted");
        long synRx = counter("mptcp_mpcapablesynrx");
        long cookiesSent = counter("syn_cookies_sent");
        long cookiesRecv = counter("syn_cookies_recv");
        long cookiesFailed = counter("syn_cookies_failed");
        long rss = daemonRssKib();
        long heap = daemonHeapAfterGcKib();
        Path before = tmp.resolve("e-before.bin");
        Testbed.Proc curl = download(before, "4M");
        Testbed.await("the download under way", 30, () -> Files.exists(before) && Files.size(before) > (1 << 20));
        int n = 300_000;
        Testbed.Proc flood = tb.launch("cli", attackArgs(c1, "10.1.1.254", "10.1.1.1", "syn-flood", "--count",
                String.valueOf(n)).toArray(String[]::new)).stderr(tmp.resolve("attack-flood.err")).start();
        // the SYN queue is full and cookies go out: a client that connects now meets the flood
        Testbed.await("cookies under the flood", 30, () -> counter("syn_cookies_sent") - cookiesSent > 2_000);
        Path during = tmp.resolve("e-during.bin");
        Testbed.Proc curl2 = download(during, "8M");
        assertTrue(flood.isAlive(), "the flood still under way when the second client connected");
        JsonNode r = result(flood, 120);
        // the daemon has taken what reached it once its counters stop moving
        long[] last = {-1};
        Testbed.await("the daemon to take the flood", 60, () -> {
            long v = counter("mptcp_mpcapablesynrx");
            boolean still = v == last[0];
            last[0] = v;
            return still;
        });
        long got = counter("mptcp_mpcapablesynrx") - synRx;
        long ev = counter("half_open_evicted") - evicted;
        long cookies = counter("syn_cookies_sent") - cookiesSent;
        long grew = daemonRssKib() - rss;
        int held = status().path("connections").size();
        long heapGrew = daemonHeapAfterGcKib() - heap;
        System.out.printf("syn flood: %d sent in %.2f s, %d reached the daemon, %d cookies, %d half-open evicted, "
                + "%d connections held, heap after GC %+d KiB, RSS %+d KiB%n", n, r.path("send_seconds").asDouble(),
                got, cookies, ev, held, heapGrew, grew);
        // the veths and the TUN queue drop part of a burst this fast; what reached the daemon counts
        assertTrue(got >= 10_000, "the flood reached the daemon: " + got);
        // at most maxHalfOpen (1024) of them wait in their handshake; every other one got a cookie
        assertTrue(cookies >= got - 1024 - 2, "cookies " + cookies + " for " + got);
        assertEquals(0, ev, "no half-open connection evicted");
        assertTrue(held <= 1024 + 8, "connections held: " + held);
        // the half-open connections held (at most 1024, a few KiB each: buffers grow on demand)
        assertTrue(heapGrew < 64 << 10, "heap after GC grew by " + heapGrew + " KiB");
        assertIntact(curl, before);
        assertIntact(curl2, during);
        assertTrue(counter("syn_cookies_recv") - cookiesRecv >= 1, "the second client came in with a cookie");
        assertEquals(0, counter("syn_cookies_failed") - cookiesFailed, "no cookie came back wrong");
    }
}
