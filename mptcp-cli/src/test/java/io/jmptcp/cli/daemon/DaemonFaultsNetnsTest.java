package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.status.StatusCommand;
import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Faults of issue 13 on the testbed, the daemon (MPTCP, two paths) against the Linux kernel: the
 * peer killed with SIGKILL in the middle of a download, and the daemon itself killed with SIGKILL
 * and started again on the same device name, addresses and control socket.
 */
@Tag("netns")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DaemonFaultsNetnsTest {
    private Testbed tb;
    private Path tmp;
    private String prefix;
    private Path www;

    @BeforeAll
    void up() throws Exception {
        Host.requireNetns("python3", "curl", "sha256sum", "mptcpize");
        tb = Testbed.options(Testbed.randomPrefix("jfl")).paths(2).rate(1, 20).rate(2, 20).noSignal().up();
        tmp = tb.dir();
        prefix = tb.prefix();
        www = Files.createDirectories(tmp.resolve("www"));
        byte[] file = new byte[30 << 20];
        new SplittableRandom(7).nextBytes(file);
        Files.write(www.resolve("file.bin"), file);
    }

    @AfterAll
    void down() {
        if (tb != null) {
            tb.close();
        }
    }

    private Testbed.Proc server(String addr, int port) throws Exception {
        Testbed.Proc p = tb.launch("srv", "mptcpize", "run", "python3", "-m", "http.server", "--bind", addr,
                "--directory", www.toString(), String.valueOf(port)).start();
        Testbed.await("the kernel server to listen", 20, () -> tb.sh("srv", "ss -ltnM | grep -q '" + addr + ":" + port + " '")
                .exitCode() == 0);
        return p;
    }

    private Testbed.Proc daemon(String tun, int socksPort, Path control, String... more) throws Exception {
        List<String> c = new ArrayList<>(List.of("daemon", "--tun", tun, "--address", "10.3.1.1", "--address", "10.3.2.1",
                "--socks", "127.0.0.1:" + socksPort, "--control", control.toString(), "--close-timeout", "5"));
        c.addAll(List.of(more));
        Testbed.Proc p = tb.jmptcp("cli", c.toArray(String[]::new)).start();
        p.await("the daemon to answer on its control socket", 60, () -> answers(control));
        return p;
    }

    private static boolean answers(Path control) {
        try {
            return StatusCommand.ask(control, "status").startsWith("{");
        } catch (IOException e) {
            return false;
        }
    }

    private Testbed.Proc curl(int socksPort, Path out, int port) throws IOException {
        return tb.launch("cli", "curl", "-sS", "--fail", "-o", out.toString(), "--limit-rate", "4M",
                "--socks5-hostname", "127.0.0.1:" + socksPort, "http://10.2.1.1:" + port + "/file.bin").start();
    }

    /** A full-speed download through the daemon's SOCKS port completes, byte for byte. */
    private void downloadsIntact(int socksPort, int port, String name, Testbed.Proc daemon) throws Exception {
        Path out = tmp.resolve(name);
        Testbed.Proc c = tb.launch("cli", "curl", "-sS", "--fail", "-o", out.toString(),
                "--socks5-hostname", "127.0.0.1:" + socksPort, "http://10.2.1.1:" + port + "/file.bin").start();
        assertEquals(0, c.exitCode(120), c.out() + daemon.out());
        assertEquals(Testbed.sha256(www.resolve("file.bin")), Testbed.sha256(out));
    }

    private boolean deviceAndRoutes(String tun) {
        return tb.sh("cli", "ip link show " + tun).exitCode() == 0
                || tb.sh("cli", "ip route show table all | grep -q " + tun).exitCode() == 0;
    }

    /**
     * The kernel server is killed with SIGKILL mid-download: its kernel ends the connection, the
     * daemon ends the relay and forgets the connection, the SOCKS client sees the stream end short,
     * and the daemon goes on serving; SIGTERM then leaves no device or route.
     */
    @Test
    void thePeerKilledMidTransferIsCleanedUpAndTheDaemonServesOn() throws Exception {
        String tun = prefix + "t1";
        Path control = tmp.resolve("peer.sock");
        Testbed.Proc d = daemon(tun, 1081, control);
        Testbed.Proc srv = server("10.2.1.1", 8081);
        Path out = tmp.resolve("peer-killed.bin");
        Testbed.Proc c = curl(1081, out, 8081);
        Testbed.await("the download to be under way", 60, () -> Files.exists(out) && Files.size(out) > (2 << 20));
        srv.process().destroyForcibly(); // SIGKILL
        assertNotEquals(0, c.exitCode(60), "the download cannot complete: " + c.out());
        assertTrue(Files.size(out) < (30 << 20), "short");
        long t0 = System.nanoTime();
        Testbed.await("the daemon to forget the connection", 75, () -> {
            String s = StatusCommand.ask(control, "status");
            return s.startsWith("{\"connections\":[]") && s.contains("\"relays_closed_total\"")
                    && DaemonNetnsTest.number(s, "relays_closed_total") >= 1;
        });
        System.out.printf("peer killed: the daemon forgot the connection %d ms after curl ended%n",
                (System.nanoTime() - t0) / 1_000_000);
        // the daemon serves on
        server("10.2.1.1", 8082);
        downloadsIntact(1081, 8082, "after-peer.bin", d);
        d.terminate();
        assertEquals(0, d.exitCode(30), d.out());
        assertFalse(deviceAndRoutes(tun), "no device or route left");
    }

    /**
     * The server's host vanishes mid-download: from one instant every packet of both paths is lost
     * (testbed.sh path K blackhole), no RST, no FIN. The daemon is the receiver: it has nothing in
     * flight, so no retransmission can time out, and without keepalive it would wait for good (as
     * Linux does; measured: both subflows still ESTABLISHED 16 s later). With --keepalive each
     * subflow probes once idle and fails when the probes go unanswered, rejoins fail, and after
     * --close-timeout the connection fails; the relay is closed (curl fails), the daemon holds
     * nothing and serves on once the paths are back; SIGTERM leaves no device or route.
     */
    @Test
    void aPeerThatVanishesMidTransferIsGivenUpWithinTheConfiguredTimeouts() throws Exception {
        String tun = prefix + "t3";
        Path control = tmp.resolve("vanish.sock");
        int idleS = 2;
        int intervalS = 1;
        int probes = 3;
        int closeS = 5;
        Testbed.Proc d = daemon(tun, 1083, control, "--keepalive", idleS + "," + intervalS + "," + probes,
                "--tcp-retries", "4", "--rto-max", "1000");
        server("10.2.1.1", 8084);
        Path out = tmp.resolve("vanished.bin");
        Testbed.Proc c = curl(1083, out, 8084);
        Testbed.await("the download to be under way", 60, () -> Files.exists(out) && Files.size(out) > (2 << 20));
        long t0 = System.nanoTime();
        try {
            tb.path(1, Testbed.PathMode.blackhole);
            tb.path(2, Testbed.PathMode.blackhole);
            // each subflow: idle, then its probes (one interval each, one more for the last), then
            // the close timeout (rejoin SYNs, at most 1 s apart with --rto-max, do not outlive it);
            // 5 s of slack for a loaded machine
            int boundS = idleS + (probes + 1) * intervalS + closeS + 5;
            try {
                Testbed.await("the daemon to give the connection up", boundS, () -> {
                    String s = StatusCommand.ask(control, "status");
                    // the relay's counters appear a moment after the engine forgets the connection
                    return s.startsWith("{\"connections\":[]") && s.contains("\"relays_closed_total\"")
                            && DaemonNetnsTest.number(s, "relays_closed_total") >= 1;
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + ": " + StatusCommand.ask(control, "status"), e);
            }
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("vanished peer: connection given up %d ms after the cut (bound %d s)%n", tookMs, boundS);
            assertTrue(tookMs >= closeS * 1000L, "not before the close timeout: " + tookMs + " ms");
            assertNotEquals(0, c.exitCode(30), "the download cannot complete: " + c.out());
            assertTrue(Files.size(out) < (30 << 20), "short");
            tb.path(1, Testbed.PathMode.up);
            tb.path(2, Testbed.PathMode.up);
            downloadsIntact(1083, 8084, "after-vanish.bin", d);
        } finally {
            tb.path(1, Testbed.PathMode.up);
            tb.path(2, Testbed.PathMode.up);
            d.terminate(); // the other cases reuse the daemon's addresses
            assertEquals(0, d.exitCode(30), d.out());
        }
        assertFalse(deviceAndRoutes(tun), "no device or route left");
    }

    /**
     * The daemon killed with SIGKILL during a download (no drain, no clean-up of its own): started
     * again with the same device name, addresses and control socket, it comes up, replaces the
     * stale socket file, serves a download intact, and SIGTERM leaves no device or route.
     */
    @Test
    void theDaemonKilledWithSigkillRestartsCleanlyOnTheSameDeviceAndAddresses() throws Exception {
        String tun = prefix + "t2";
        Path control = tmp.resolve("kill.sock");
        server("10.2.1.1", 8083);
        Testbed.Proc d = daemon(tun, 1082, control);
        Path out = tmp.resolve("daemon-killed.bin");
        Testbed.Proc c = curl(1082, out, 8083);
        Testbed.await("the download to be under way", 60, () -> Files.exists(out) && Files.size(out) > (2 << 20));
        d.process().destroyForcibly(); // SIGKILL
        d.process().waitFor();
        assertNotEquals(0, c.exitCode(120), "the download cannot complete: " + c.out());
        assertTrue(Files.exists(control), "a killed daemon leaves its socket file behind");
        boolean left = deviceAndRoutes(tun);
        System.out.println("after SIGKILL the device " + tun + (left ? " was still there" : " was gone with the process"));

        Testbed.Proc d2 = daemon(tun, 1082, control);
        assertEquals(0, tb.sh("cli", "ip link show " + tun + " && ip route show | grep -q '10.3.1.1 dev " + tun + "'"
                + " && ip route show | grep -q '10.3.2.1 dev " + tun + "'").exitCode(), "device and routes again");
        downloadsIntact(1082, 8083, "after-restart.bin", d2);
        d2.terminate();
        assertEquals(0, d2.exitCode(30), d2.out());
        assertFalse(deviceAndRoutes(tun), "no device or route left");
        assertFalse(Files.exists(control), "the control socket is removed");
    }
}
