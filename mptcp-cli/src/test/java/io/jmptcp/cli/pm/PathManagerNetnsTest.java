package io.jmptcp.cli.pm;

import static io.jmptcp.cli.testbed.Testbed.delta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.status.StatusCommand;
import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.cli.testbed.Testbed.PathMode;
import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Path management (issue 10) against the Linux kernel on the testbed (docs/testbed.md): address
 * signalling (ADD_ADDR, its echo and retransmission, REMOVE_ADDR both ways), backup subflows,
 * failover when a path goes dark, re-establishing a subflow when a path that answered with resets
 * comes back, a connection that outlives all of its subflows (break-before-make), and a join
 * through NAT. Each test compares the SHA-256 of what was sent and what arrived, and reads the
 * kernel's MPTcpExt counters (nstat) and the stack's own; the bytes each subflow carried are read
 * from the kernel's sockets ({@code ss -ti}: bytes_received and bytes_acked per subflow), which
 * see every subflow while it lives. Every test builds its own testbed (its rates and delays differ).
 */
@Tag("netns")
class PathManagerNetnsTest {
    private static final Pattern PEER = Pattern.compile(
            "\"sent\": (\\d+), \"sent_sha256\": \"([0-9a-f]+)\", \"received\": (\\d+), \"received_sha256\": \"([0-9a-f]+)\"");
    private static final Pattern MAX_GAP = Pattern.compile("\"max_gap_s\": ([0-9.]+)");
    private static int nextPort = 16000;

    // ---- what the kernel's sockets say ----------------------------------------------------------

    /** One TCP socket (an MPTCP subflow) as {@code ss -ti} shows it, addresses without ::ffff:. */
    record Sock(String local, int localPort, String peer, int peerPort, long received, long acked) {
        String key() {
            return local + ":" + localPort + "-" + peer + ":" + peerPort;
        }
    }

    private static final Pattern SS = Pattern.compile(
            "^ESTAB\\s+\\d+\\s+\\d+\\s+\\[?(?:::ffff:)?([0-9.]+)]?:(\\d+)\\s+\\[?(?:::ffff:)?([0-9.]+)]?:(\\d+)");

    /** The established TCP sockets of {@code side} with {@code port} at either end. */
    static List<Sock> sockets(Testbed tb, String side, int port) {
        String out = tb.exec(30, side, List.of("ss", "-tinH", "( sport = :" + port + " or dport = :" + port + " )"))
                .check().output();
        List<Sock> socks = new ArrayList<>();
        String[] lines = out.split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = SS.matcher(lines[i]);
            if (m.find()) {
                String info = i + 1 < lines.length ? lines[i + 1] : ""; // ss -i: the details on the next line
                socks.add(new Sock(m.group(1), Integer.parseInt(m.group(2)), m.group(3), Integer.parseInt(m.group(4)),
                        field(info, "bytes_received"), field(info, "bytes_acked")));
            }
        }
        return socks;
    }

    private static long field(String info, String name) {
        Matcher m = Pattern.compile("\\b" + name + ":(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /**
     * Samples {@link #sockets} in the background (every 100 ms) and keeps, per subflow, the most it
     * was seen to carry: subflows vanish when the connection ends, the peak stays.
     */
    static final class SubflowMonitor implements AutoCloseable {
        private final Map<String, Sock> peak = new java.util.concurrent.ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean stop;

        SubflowMonitor(Testbed tb, String side, int port) {
            thread = new Thread(() -> {
                while (!stop) {
                    try {
                        for (Sock s : sockets(tb, side, port)) {
                            peak.merge(s.key(), s, (a, b) -> b.received() + b.acked() >= a.received() + a.acked() ? b : a);
                        }
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException | AssertionError e) {
                        // the namespace is going away at the end of a test: stop quietly
                        if (stop) {
                            return;
                        }
                    }
                }
            }, "ss-monitor");
            thread.setDaemon(true);
            thread.start();
        }

        /** The peak of every subflow seen so far. */
        List<Sock> seen() {
            return List.copyOf(peak.values());
        }

        /** Bytes (both directions, as the kernel counts them) of the subflows matching {@code p}. */
        long carried(java.util.function.Predicate<Sock> p) {
            return seen().stream().filter(p).mapToLong(s -> s.received() + s.acked()).sum();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.interrupt();
            thread.join(5000);
        }
    }

    // ---- transfers --------------------------------------------------------------------------------

    /** The outcome of one transfer: the jmptcp side's exit and log, what the kernel peer printed. */
    record Outcome(int exit, String log, String peerJson, long bytes, String inHash) {
        Matcher peer() {
            Matcher m = PEER.matcher(peerJson);
            assertTrue(m.find(), "peer output: " + peerJson + "\njmptcp log:\n" + log);
            return m;
        }

        /** Everything jmptcp read from its input reached the kernel, unchanged; jmptcp exited 0. */
        void assertIntact() {
            Matcher m = peer();
            assertEquals(bytes, Long.parseLong(m.group(3)), "bytes the kernel received\n" + log);
            assertEquals(inHash, m.group(4), "the kernel received other bytes than jmptcp sent\n" + log);
            assertEquals(0, exit, "jmptcp's exit code\n" + log);
        }

        /** A stack counter from jmptcp's exit log (0 when absent). */
        long stack(String counter) {
            Matcher m = Pattern.compile("\\b" + counter + "=(\\d+)").matcher(log);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        }

        /** The receiver's longest stall between two reads, in seconds (peer.py --timing). */
        double maxGap() {
            Matcher m = MAX_GAP.matcher(peerJson);
            assertTrue(m.find(), peerJson);
            return Double.parseDouble(m.group(1));
        }
    }

    static Path input(Testbed tb, long bytes, long seed) throws IOException {
        return io.jmptcp.cli.mptcp.KernelInteropTest.input(bytes, seed, tb.dir());
    }

    /**
     * An upload from {@code jmptcp nc} in the client namespace to a kernel MPTCP server
     * (scripts/peer.py) on 10.2.1.1 that sends nothing and keeps its side open until our DATA_FIN
     * (Linux refuses joins once a DATA_FIN went either way).
     */
    static final class Upload {
        final Testbed tb;
        final int port = nextPort++;
        final long bytes;
        final Path in;
        final Testbed.Proc peer;
        final Testbed.Proc nc;

        Upload(Testbed tb, long bytes, String... ncOptions) throws Exception {
            this.tb = tb;
            this.bytes = bytes;
            this.in = input(tb, bytes, port);
            peer = kernelServer(tb, port, 0);
            List<String> c = new ArrayList<>(List.of("nc", "--tun", tb.prefix() + "t0"));
            c.addAll(List.of(ncOptions));
            c.addAll(List.of("10.2.1.1", Integer.toString(port)));
            nc = tb.jmptcp("cli", c.toArray(String[]::new)).stdin(in).stdout(tb.dir().resolve("nc-out-" + port))
                    .stderr(tb.dir().resolve("nc-log-" + port)).start();
        }

        /** What the kernel's subflows of this connection have received so far. */
        long serverReceived() {
            return sockets(tb, "srv", port).stream().mapToLong(Sock::received).sum();
        }

        /** Waits (spinning on ss) until the kernel has received at least {@code n} bytes; fails if nc ends first. */
        void awaitReceived(long n, int seconds) throws InterruptedException {
            nc.await("the kernel to receive " + n + " bytes", seconds, () -> serverReceived() >= n);
        }

        Outcome finish(int seconds) throws Exception {
            int rc = nc.exitCode(seconds);
            peer.exitCode(30);
            return new Outcome(rc, nc.err(), peer.out(), bytes, Testbed.sha256(in));
        }
    }

    /** A kernel MPTCP server (peer.py, --hold --timing) on {@code port} in the server namespace, listening. */
    static Testbed.Proc kernelServer(Testbed tb, int port, long send) throws Exception {
        Path ready = tb.dir().resolve("ready-" + port);
        Testbed.Proc p = tb.launch("srv", "python3", Testbed.script("peer.py").toString(), "server", "--port",
                Integer.toString(port), "--mptcp", "--hold", "--timing", "--send", Long.toString(send), "--ready",
                ready.toString()).stdout(tb.dir().resolve("peer-" + port)).stderr(tb.dir().resolve("peer-err-" + port))
                .start();
        p.await("the kernel server to listen", 20, () -> Files.exists(ready));
        return p;
    }

    /** The kernel's MPTCP counters of {@code side}, to compare with {@link Testbed#delta}. */
    static Map<String, Long> mib(Testbed tb, String side) {
        return tb.mptcpCounters(side);
    }

    /** No data-level damage seen by the kernel between two snapshots. */
    static void assertNoDssDamage(Map<String, Long> before, Map<String, Long> after) {
        assertEquals(0, delta(before, after, "DataCsumErr") + delta(before, after, "DSSNoMatchTCP")
                + delta(before, after, "DSSNotMatching"), "kernel DSS errors: " + after);
    }

    static long txBytes(Testbed tb, String dev) {
        return Long.parseLong(tb.sh("cli", "cat /sys/class/net/" + dev + "/statistics/tx_bytes").check().output().trim());
    }

    // ---- 1. ADD_ADDR -------------------------------------------------------------------------------

    /**
     * The kernel server announces 10.2.2.1 (a {@code signal} endpoint, the testbed's default); with
     * {@code --add-addr-accepted 1} and one address of its own, jmptcp checks the HMAC, echoes it
     * and joins 10.2.2.1, and that subflow carries data.
     */
    @Test
    void joinsTheAddressTheKernelServerAnnounces() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpa")).paths(2).rateAll(50).up()) {
            Map<String, Long> before = mib(tb, "srv");
            Upload u = new Upload(tb, 32L << 20, "--address", "10.3.1.1", "--add-addr-accepted", "1");
            Outcome o;
            long onAnnounced;
            try (SubflowMonitor mon = new SubflowMonitor(tb, "srv", u.port)) {
                o = u.finish(120);
                onAnnounced = mon.carried(s -> s.local().equals("10.2.2.1"));
            }
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertTrue(o.stack("AddAddr") >= 1, "stack AddAddr\n" + o.log());
            assertTrue(delta(before, after, "EchoAdd") >= 1, "the kernel got our echo: " + after);
            assertEquals(1, delta(before, after, "MPJoinSynRx"), "the kernel got our join: " + after);
            assertEquals(1, delta(before, after, "MPJoinAckRx"), after.toString());
            assertEquals(1, o.stack("MPJoinSynAckRx"), o.log());
            assertTrue(onAnnounced >= 1 << 20, "the subflow to 10.2.2.1 carried " + onAnnounced + " bytes\n" + o.log());
            assertNoDssDamage(before, after);
        }
    }

    /**
     * The kernel server with {@code net.mptcp.allow_join_initial_addr_port=0} sets the MP_CAPABLE
     * C flag: the stack opens no subflow to the server's initial address (not even from its
     * {@code subflow} endpoint 10.3.2.1) and joins only the announced 10.2.2.1.
     */
    @Test
    void theKernelsCFlagKeepsJoinsOffItsInitialAddress() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpk")).paths(2).rateAll(50).up()) {
            tb.exec("srv", "sysctl", "-qw", "net.mptcp.allow_join_initial_addr_port=0").check();
            Map<String, Long> before = mib(tb, "srv");
            Upload u = new Upload(tb, 16L << 20, "--address", "10.3.1.1", "--address", "10.3.2.1",
                    "--add-addr-accepted", "1");
            Outcome o;
            long toInitial;
            long onAnnounced;
            try (SubflowMonitor mon = new SubflowMonitor(tb, "srv", u.port)) {
                o = u.finish(120);
                toInitial = mon.carried(s -> s.local().equals("10.2.1.1") && s.peer().equals("10.3.2.1"));
                onAnnounced = mon.carried(s -> s.local().equals("10.2.2.1"));
            }
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertEquals(1, delta(before, after, "MPJoinSynRx"), "one join, to the announced address: " + after);
            assertEquals(0, toInitial, "no subflow from 10.3.2.1 to the initial address");
            // It shares path 1 with the initial subflow (both leave from 10.3.1.1), so its share
            // varies (0.3 to several MB); that it carries data at all is the point.
            assertTrue(onAnnounced > 0, "the subflow to 10.2.2.1 carried nothing\n" + o.log());
            assertNoDssDamage(before, after);
        }
    }

    /** jmptcp listening with {@code --announce}; a kernel client in the server namespace. */
    private static Outcome kernelClientToAnnouncingListener(Testbed tb, int port, long bytes, Runnable whileRunning)
            throws Exception {
        // Only the stack's announcement: the kernel side announces nothing (no endpoints) and
        // accepts one ADD_ADDR.
        tb.exec("srv", "ip", "mptcp", "endpoint", "flush").check();
        tb.exec("srv", "ip", "mptcp", "limits", "set", "subflow", "2", "add_addr_accepted", "1").check();
        Path in = input(tb, bytes, port);
        Testbed.Proc nc = tb.jmptcp("cli", "nc", "--tun", tb.prefix() + "t0", "--address", "10.3.1.1", "--address",
                "10.3.2.1", "--announce", "--add-addr-timeout", "1000", "-l", Integer.toString(port)).stdin(in)
                .stdout(tb.dir().resolve("nc-out-" + port)).stderr(tb.dir().resolve("nc-log-" + port)).start();
        nc.awaitErr("listening on port", 60);
        // Both ways: the kernel sends while it receives, so neither side's DATA_FIN comes early.
        Testbed.Proc peer = tb.launch("srv", "python3", Testbed.script("peer.py").toString(), "client", "10.3.1.1",
                Integer.toString(port), "--mptcp", "--bind", "10.2.1.1", "--send", Long.toString(bytes), "--hold")
                .stdout(tb.dir().resolve("peer-" + port)).stderr(tb.dir().resolve("peer-err-" + port)).start();
        if (whileRunning != null) {
            whileRunning.run();
        }
        int rc = nc.exitCode(120);
        peer.exitCode(30);
        Outcome o = new Outcome(rc, nc.err(), peer.out(), bytes, Testbed.sha256(in));
        // and what the kernel sent reached nc's stdout
        Matcher m = o.peer();
        assertEquals(Long.parseLong(m.group(1)), Files.size(nc.outFile()), o.log());
        assertEquals(m.group(2), Testbed.sha256(nc.outFile()), "nc wrote other bytes than the kernel sent\n" + o.log());
        return o;
    }

    /** jmptcp {@code --announce}s 10.3.2.1 to a kernel client that accepts one ADD_ADDR: the kernel joins it. */
    @Test
    void kernelClientJoinsTheAddressJmptcpAnnounces() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpb")).paths(2).rateAll(50).up()) {
            int port = nextPort++;
            Map<String, Long> before = mib(tb, "srv");
            long[] fromAnnounced = {0};
            Outcome o;
            try (SubflowMonitor mon = new SubflowMonitor(tb, "srv", port)) {
                o = kernelClientToAnnouncingListener(tb, port, 24L << 20, null);
                fromAnnounced[0] = mon.carried(s -> s.peer().equals("10.3.2.1"));
            }
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertTrue(delta(before, after, "AddAddr") >= 1, "the kernel accepted our ADD_ADDR: " + after);
            assertTrue(o.stack("Echo") >= 1, "the kernel echoed it\n" + o.log());
            assertEquals(1, delta(before, after, "MPJoinSynAckRx"), "the kernel's join was answered: " + after);
            assertEquals(1, o.stack("MPJoinSynRx"), o.log());
            assertTrue(fromAnnounced[0] >= 1 << 20, "the kernel's subflow to 10.3.2.1 carried " + fromAnnounced[0] + "\n" + o.log());
            assertNoDssDamage(before, after);
        }
    }

    /**
     * The router drops jmptcp's first two ADD_ADDRs (nftables matches the MPTCP option's subtype
     * 3 on path 1, jmptcp to kernel); with {@code --add-addr-timeout 1000} the stack repeats it
     * every second until the kernel's echo arrives, and the kernel then joins.
     */
    @Test
    void addAddrIsRetransmittedUntilEchoed() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpc")).paths(2).rateAll(50).up()) {
            String r1 = tb.prefix() + "r1";
            tb.exec("rtr", "nft", "add table inet addaddr").check();
            tb.exec("rtr", "nft", "add chain inet addaddr fw { type filter hook forward priority -20 ; }").check();
            tb.exec("rtr", "nft", "add rule inet addaddr fw iifname \"" + r1 + "\" tcp option mptcp subtype 3 counter drop")
                    .check();
            int port = nextPort++;
            Map<String, Long> before = mib(tb, "srv");
            long[] dropped = {0};
            Outcome o = kernelClientToAnnouncingListener(tb, port, 48L << 20, () -> {
                try {
                    // Two drops, then the path lets ADD_ADDR through again (the third must get there).
                    Testbed.await("two ADD_ADDRs dropped", 30, () -> tb.nftPackets("rtr", "inet addaddr") >= 2);
                    String rule = handle(tb);
                    dropped[0] = tb.nftPackets("rtr", "inet addaddr"); // the counter goes with the rule
                    tb.exec("rtr", "nft", "delete rule inet addaddr fw handle " + rule).check();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertEquals(2, dropped[0], "ADD_ADDRs dropped before the rule went away");
            assertEquals(1, delta(before, after, "AddAddr"), "the kernel got the third: " + after);
            assertTrue(o.stack("AddAddrTx") >= 3, "sent at least three times\n" + o.log());
            assertEquals(1, o.stack("Echo"), o.log());
            assertEquals(1, delta(before, after, "MPJoinSynAckRx"), after.toString());
            assertEquals(1, o.stack("MPJoinSynRx"), o.log());
            assertNoDssDamage(before, after);
        }
    }

    /** The handle of the one rule in chain inet addaddr fw. */
    private static String handle(Testbed tb) {
        String out = tb.exec("rtr", "nft", "-a", "list", "chain", "inet", "addaddr", "fw").check().output();
        Matcher m = Pattern.compile("subtype 3 counter.*# handle (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    // ---- 2. REMOVE_ADDR ----------------------------------------------------------------------------

    /**
     * {@code ip mptcp endpoint del} of the kernel server's announced address mid-transfer: the
     * kernel sends REMOVE_ADDR and closes its subflow from 10.2.2.1; the stack counts RmAddr and the
     * transfer completes on the initial subflow, intact.
     */
    @Test
    void kernelRemovesItsAnnouncedAddressMidTransfer() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpd")).paths(2).rateAll(50).up()) {
            Map<String, Long> before = mib(tb, "srv");
            Upload u = new Upload(tb, 32L << 20, "--address", "10.3.1.1", "--add-addr-accepted", "1");
            // The join to 10.2.2.1 is there and working before the address goes.
            u.nc.await("a subflow on 10.2.2.1 carrying data", 60, () -> sockets(tb, "srv", u.port).stream()
                    .anyMatch(s -> s.local().equals("10.2.2.1") && s.received() > (256 << 10)));
            String show = tb.exec("srv", "ip", "mptcp", "endpoint", "show").check().output();
            Matcher id = Pattern.compile("10\\.2\\.2\\.1 id (\\d+)").matcher(show);
            assertTrue(id.find(), show);
            tb.exec("srv", "ip", "mptcp", "endpoint", "del", "id", id.group(1)).check();
            Testbed.await("the kernel's subflow on 10.2.2.1 to close", 10, () -> sockets(tb, "srv", u.port).stream()
                    .noneMatch(s -> s.local().equals("10.2.2.1")));
            Outcome o = u.finish(120);
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertTrue(delta(before, after, "RmAddrTx") >= 1, "the kernel sent REMOVE_ADDR: " + after);
            assertTrue(o.stack("RmAddr") >= 1, "the stack got it\n" + o.log());
            assertNoDssDamage(before, after);
        }
    }

    /**
     * {@code jmptcp addr del} on a daemon mid-transfer (curl through its SOCKS front end from a
     * kernel MPTCP HTTP server): the daemon sends REMOVE_ADDR for 10.3.2.1, the kernel counts
     * RmAddr, the download completes intact, and the address is gone from {@code addr list}.
     */
    @Test
    void daemonAddrDelSendsRemoveAddrToTheKernel() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss", "curl", "mptcpize");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpe")).paths(2).rateAll(30).noSignal().up()) {
            Path www = Files.createDirectories(tb.dir().resolve("www"));
            Files.copy(input(tb, 24L << 20, 7), www.resolve("file.bin"));
            tb.launch("srv", "mptcpize", "run", "python3", "-m", "http.server", "--bind", "10.2.1.1", "--directory",
                    www.toString(), "8081").start();
            Testbed.await("the kernel HTTP server", 20, () -> tb.sh("srv", "ss -ltnM | grep -q '10.2.1.1:8081 '").exitCode() == 0);
            Path control = tb.dir().resolve("pm.sock");
            Testbed.Proc d = tb.jmptcp("cli", "daemon", "--tun", tb.prefix() + "t0", "--address", "10.3.1.1",
                    "--address", "10.3.2.1", "--socks", "127.0.0.1:1080", "--control", control.toString()).start();
            d.await("the daemon's control socket", 60, () -> Files.exists(control));
            Map<String, Long> before = mib(tb, "srv");
            Path out = tb.dir().resolve("download.bin");
            Testbed.Proc curl = tb.launch("cli", "curl", "-sS", "--fail", "-o", out.toString(), "--socks5-hostname",
                    "127.0.0.1:1080", "http://10.2.1.1:8081/file.bin").start();
            // Both subflows up and the download a quarter through.
            curl.await("two subflows and 6 MiB", 60, () -> Files.exists(out) && Files.size(out) > (6 << 20)
                    && sockets(tb, "srv", 8081).stream().anyMatch(s -> s.peer().equals("10.3.2.1")));
            Host.Result del = tb.exec(30, "cli", List.of(tb.jmptcp(), "addr", "del", "10.3.2.1", "--control",
                    control.toString()));
            assertEquals(0, del.exitCode(), del.output());
            Testbed.await("the kernel's subflow from 10.3.2.1 to close", 10, () -> sockets(tb, "srv", 8081).stream()
                    .noneMatch(s -> s.peer().equals("10.3.2.1")));
            // ... because of the removal, not because the download was over.
            assertTrue(curl.isAlive() && Files.size(out) < (24L << 20), "the download went on after the removal");
            assertEquals(0, curl.exitCode(120), curl.out() + d.out());
            Map<String, Long> after = mib(tb, "srv");
            assertEquals(Testbed.sha256(www.resolve("file.bin")), Testbed.sha256(out), "the download is intact");
            assertTrue(delta(before, after, "RmAddr") >= 1, "the kernel got REMOVE_ADDR: " + after);
            String counters = StatusCommand.ask(control, "counters");
            assertTrue(Pattern.compile("\"mptcp_rmaddrtx\":[1-9]").matcher(counters).find(), counters);
            Host.Result list = tb.exec(30, "cli", List.of(tb.jmptcp(), "addr", "list", "--control", control.toString()));
            assertEquals(0, list.exitCode(), list.output());
            assertTrue(list.output().contains("10.3.1.1") && !list.output().contains("10.3.2.1"), list.output());
            assertNoDssDamage(before, after);
            d.terminate();
            d.exitCode(30);
        }
    }

    // ---- 3. backup ---------------------------------------------------------------------------------

    /**
     * Path 2 is a backup ({@code --backup 10.3.2.1}: B flag on its join). With both paths up it
     * carries under 5 % of the bytes; once path 1 goes dark mid-transfer it carries the rest.
     */
    @Test
    void backupPathCarriesAlmostNothingUntilThePrimaryDies() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpf")).paths(2).rateAll(50).noSignal().up()) {
            String c1 = tb.prefix() + "c1";
            String c2 = tb.prefix() + "c2";
            Map<String, Long> before = mib(tb, "srv");
            long tx1 = txBytes(tb, c1);
            long tx2 = txBytes(tb, c2);
            long bytes = 32L << 20;
            Upload u = new Upload(tb, bytes, "--address", "10.3.1.1", "--address", "10.3.2.1", "--backup", "10.3.2.1");
            // The backup subflow is established (the kernel has it) and a third of the data is through.
            u.nc.await("the backup subflow and a third of the bytes", 60, () -> u.serverReceived() >= bytes / 3
                    && sockets(tb, "srv", u.port).stream().anyMatch(s -> s.peer().equals("10.3.2.1")));
            long d1 = txBytes(tb, c1) - tx1;
            long tx2AtCut = txBytes(tb, c2);
            long d2 = tx2AtCut - tx2;
            tb.path(1, PathMode.blackhole);
            // Sampled after the cut: all the kernel has not received by now crosses path 2 from
            // here on (path 2's counter was read before the cut, so it misses none of it).
            long received = u.serverReceived();
            Outcome o = u.finish(120);
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertTrue(d2 < 0.05 * (d1 + d2), "path 2 (backup) carried %d of %d bytes with both up".formatted(d2, d1 + d2));
            long rest = txBytes(tb, c2) - tx2AtCut;
            assertTrue(rest >= bytes - received, "after the cut the backup carried %d bytes, %d were still to go"
                    .formatted(rest, bytes - received));
            assertEquals(1, delta(before, after, "MPJoinSynBackupRx"), "the join had the B flag: " + after);
            assertTrue(tb.nftPackets("rtr", "inet path1") > 0, "the blackhole dropped something");
            assertTrue(Pattern.compile("Subflow\\[local=10\\.3\\.2\\.1:\\d+, remote=[^,]+, state=[A-Z_0-9]+, backup=true")
                    .matcher(o.log()).find(), "the stack reports its subflow as backup\n" + o.log());
            assertNoDssDamage(before, after);
        }
    }

    // ---- 4. failover -------------------------------------------------------------------------------

    /**
     * 2 x 50 Mbit/s, 10 ms RTT; path 1 goes dark 1.5 s into a 48 MiB upload and stays dark: the
     * transfer completes on path 2, intact (the timing comparison with the kernel is the
     * benchmark's, scripts/bench.sh failover).
     */
    @Test
    void failoverWhenAPathGoesDarkMidUpload() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss", "setsid");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpg")).paths(2).rateAll(50).delay(1, 5).delay(2, 5)
                .noSignal().up()) {
            Map<String, Long> before = mib(tb, "srv");
            Upload u = new Upload(tb, 48L << 20, "--address", "10.3.1.1", "--address", "10.3.2.1");
            u.awaitReceived(1, 60);
            // The scenario's clock, not a condition: path 1 fails 1.5 s after the first byte arrived.
            long cut = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            Testbed.within(5, Duration.ofMillis(1), () -> System.nanoTime() >= cut || !u.nc.isAlive());
            assertTrue(u.nc.isAlive(), "the upload was still running at the cut:\n" + u.nc.err());
            long tx2AtCut = txBytes(tb, tb.prefix() + "c2");
            tb.path(1, PathMode.blackhole);
            // Sampled after the cut: all the kernel has not received by now crosses path 2 from
            // here on (path 2's counter was read before the cut, so it misses none of it).
            long receivedAtCut = u.serverReceived();
            Outcome o = u.finish(120);
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertTrue(receivedAtCut < u.bytes / 2, "cut mid-transfer: " + receivedAtCut);
            assertTrue(tb.nftPackets("rtr", "inet path1") > 0, "the blackhole dropped something");
            // Whatever the kernel had not received at the cut crossed path 2 afterwards.
            long rest = txBytes(tb, tb.prefix() + "c2") - tx2AtCut;
            assertTrue(rest >= u.bytes - receivedAtCut, "after the cut path 2 carried %d bytes, %d were still to go"
                    .formatted(rest, u.bytes - receivedAtCut));
            assertNoDssDamage(before, after);
            System.out.printf("failover: %d bytes before the cut, longest stall at the receiver %.3f s, Reinjection=%d%n",
                    receivedAtCut, o.maxGap(), o.stack("Reinjection"));
        }
    }

    // ---- 5. re-establishment ----------------------------------------------------------------------

    /**
     * Path 1 answers with resets for 10 s, then comes back: within 5 s of its return the stack
     * has a new subflow on path 1, which carries at least 1 MB in the following 3 s (the kernel's
     * socket of that subflow counts it); the transfer completes intact.
     */
    @Test
    void aSubflowKilledByResetsIsReestablishedWhenThePathReturns() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jph")).paths(2).rateAll(10).noSignal().up()) {
            Map<String, Long> before = mib(tb, "srv");
            Upload u = new Upload(tb, 48L << 20, "--address", "10.3.1.1", "--address", "10.3.2.1");
            u.nc.await("both subflows carrying data", 60, () -> {
                List<Sock> s = sockets(tb, "srv", u.port);
                return s.stream().anyMatch(x -> x.peer().equals("10.3.1.1") && x.received() > (256 << 10))
                        && s.stream().anyMatch(x -> x.peer().equals("10.3.2.1") && x.received() > (256 << 10));
            });
            List<Integer> oldPorts = sockets(tb, "srv", u.port).stream().filter(s -> s.peer().equals("10.3.1.1"))
                    .map(Sock::peerPort).toList();
            tb.path(1, PathMode.reset);
            long resetAt = System.nanoTime();
            // The scenario's clock: the path stays broken for 10 s (the transfer goes on over path 2).
            Testbed.within(11, Duration.ofMillis(50), () -> System.nanoTime() - resetAt >= TimeUnit.SECONDS.toNanos(10)
                    || !u.nc.isAlive());
            assertTrue(u.nc.isAlive(), "the upload outlived the reset path:\n" + u.nc.err());
            long resets = tb.nftPackets("rtr", "inet path1");
            tb.path(1, PathMode.up);
            long upAt = System.nanoTime();
            Sock[] fresh = {null};
            u.nc.await("a new subflow on path 1 within 5 s of its return", 5, () -> {
                fresh[0] = sockets(tb, "srv", u.port).stream()
                        .filter(s -> s.peer().equals("10.3.1.1") && !oldPorts.contains(s.peerPort())).findFirst().orElse(null);
                return fresh[0] != null;
            });
            double seenAfter = (System.nanoTime() - upAt) / 1e9;
            long base = fresh[0].received();
            int newPort = fresh[0].peerPort();
            long[] got = {0};
            boolean carried = Testbed.within(3, Duration.ofMillis(50), () -> {
                got[0] = sockets(tb, "srv", u.port).stream().filter(s -> s.peerPort() == newPort && s.peer().equals("10.3.1.1"))
                        .mapToLong(Sock::received).sum() - base;
                return got[0] >= 1_000_000;
            });
            double carriedAfter = (System.nanoTime() - upAt) / 1e9;
            assertTrue(carried, "the new subflow on path 1 carried only " + got[0] + " bytes in 3 s");
            System.out.printf("re-establishment: new path-1 subflow seen %.2f s after the return, 1 MB on it %.2f s after%n",
                    seenAfter, carriedAfter);
            Outcome o = u.finish(120);
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertTrue(resets > 0, "path 1 answered with resets");
            assertTrue(delta(before, after, "MPJoinSynRx") >= 2, "the path-2 join and the new one on path 1: " + after);
            assertTrue(o.stack("SubflowRecreated") >= 1, o.log());
            assertNoDssDamage(before, after);
        }
    }

    // ---- 6. break-before-make ---------------------------------------------------------------------

    /**
     * Every path answers with resets for 8 s, so the connection has no subflow at all; then path 1
     * returns. The connection survives (--close-timeout defaults to 60 s), resumes over a new
     * subflow and delivers every byte.
     */
    @Test
    void connectionSurvivesHavingNoSubflowAndResumes() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpi")).paths(2).rateAll(20).noSignal().up()) {
            Map<String, Long> before = mib(tb, "srv");
            Upload u = new Upload(tb, 24L << 20, "--address", "10.3.1.1", "--address", "10.3.2.1");
            u.nc.await("both subflows up and 2 MiB through", 60, () -> u.serverReceived() >= (2 << 20)
                    && sockets(tb, "srv", u.port).stream().anyMatch(s -> s.peer().equals("10.3.2.1")));
            long receivedAtBreak = u.serverReceived();
            tb.path(1, PathMode.reset);
            tb.path(2, PathMode.reset);
            long brokeAt = System.nanoTime();
            Testbed.within(9, Duration.ofMillis(50), () -> System.nanoTime() - brokeAt >= TimeUnit.SECONDS.toNanos(8)
                    || !u.nc.isAlive());
            assertTrue(u.nc.isAlive(), "jmptcp gave up the connection during the break:\n" + u.nc.err());
            tb.path(1, PathMode.up);
            Outcome o = u.finish(120);
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertTrue(receivedAtBreak < u.bytes / 2, "broken mid-transfer: " + receivedAtBreak);
            assertTrue(o.maxGap() >= 7, "the receiver saw the break (longest stall " + o.maxGap() + " s)");
            System.out.printf("break-before-make: %d bytes before the break, longest stall at the receiver %.3f s%n",
                    receivedAtBreak, o.maxGap());
            assertTrue(delta(before, after, "MPJoinSynRx") >= 2, "a join after the break: " + after);
            assertTrue(o.stack("SubflowRecreated") >= 1, o.log());
            assertEquals(0, o.stack("CloseTimeout"), o.log());
            assertNoDssDamage(before, after);
        }
    }

    // ---- 7. NAT ------------------------------------------------------------------------------------

    /** Path 2 is masqueraded by the router ({@code --nat 2}): the join through it carries data. */
    @Test
    void joinThroughNatCarriesData() throws Exception {
        Host.requireNetns("python3", "nft", "nstat", "tc", "ss");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpj")).paths(2).rateAll(50).nat(2).noSignal().up()) {
            Map<String, Long> before = mib(tb, "srv");
            Upload u = new Upload(tb, 24L << 20, "--address", "10.3.1.1", "--address", "10.3.2.1");
            Outcome o;
            long natted;
            long direct;
            try (SubflowMonitor mon = new SubflowMonitor(tb, "srv", u.port)) {
                o = u.finish(120);
                // Behind the masquerade the join comes from a router address (10.2.k.254), never 10.3.2.1.
                natted = mon.carried(s -> s.peer().startsWith("10.2.") && s.peer().endsWith(".254"));
                direct = mon.carried(s -> s.peer().equals("10.3.2.1"));
            }
            Map<String, Long> after = mib(tb, "srv");
            o.assertIntact();
            assertEquals(0, direct, "path 2 is masqueraded");
            assertTrue(natted >= 1 << 20, "the join through the NAT carried " + natted + " bytes\n" + o.log());
            assertEquals(1, delta(before, after, "MPJoinSynRx"), after.toString());
            assertEquals(1, delta(before, after, "MPJoinAckRx"), after.toString());
            assertFalse(o.log().contains("fallback=true"), o.log());
            assertNoDssDamage(before, after);
        }
    }
}
