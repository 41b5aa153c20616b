package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code jmptcp daemon} on the testbed against the Linux kernel: SOCKS clients and the daemon in
 * {@code ${P}-cli}, kernel servers in {@code ${P}-srv}. Plain TCP: 1,000 concurrent SOCKS
 * connections with 64 KiB each way, status, metrics; SIGTERM during a curl download. MPTCP: curl
 * through SOCKS to the kernel's MPTCP over two balanced paths, each carrying at least 20 %.
 */
@Tag("netns")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DaemonNetnsTest {
    private Testbed tb;
    private Path tmp;
    private String prefix;

    @BeforeAll
    void up() throws Exception {
        Host.requireNetns("python3", "curl", "bash", "sha256sum", "mptcpize");
        tb = Testbed.options(Testbed.randomPrefix("jdm")).paths(4).rate(2, 20).rate(3, 20).rate(4, 20).noSignal().up();
        tmp = tb.dir();
        prefix = tb.prefix();
        for (String py : new String[] {"echo_server.py", "socks_load.py"}) {
            try (var in = getClass().getResourceAsStream("/daemon/" + py)) {
                Files.write(tmp.resolve(py), in.readAllBytes());
            }
        }
        tb.launch("srv", "python3", tmp.resolve("echo_server.py").toString(), "10.2.1.1", "7").start();
        Path www = Files.createDirectories(tmp.resolve("www"));
        byte[] file = new byte[20 << 20];
        new SplittableRandom(5).nextBytes(file);
        Files.write(www.resolve("file.bin"), file);
        tb.launch("srv", "python3", "-m", "http.server", "--bind", "10.2.2.1", "--directory", www.toString(), "8080")
                .start();
        tb.launch("srv", "mptcpize", "run", "python3", "-m", "http.server", "--bind", "10.2.3.1",
                "--directory", www.toString(), "8081").start();
        Testbed.await("the kernel servers to listen", 20, () -> tb.sh("srv",
                "ss -ltn | grep -q '10.2.1.1:7 ' && ss -ltn | grep -q '10.2.2.1:8080 '"
                + " && ss -ltnM | grep -q '10.2.3.1:8081 '").exitCode() == 0);
    }

    @AfterAll
    void down() {
        if (tb != null) {
            tb.close();
        }
    }

    private Testbed.Proc daemon(String tun, String address, int socksPort, Path control, String... more) throws Exception {
        List<String> c = new ArrayList<>(List.of("daemon", "--tun", tun, "--address", address,
                "--socks", "127.0.0.1:" + socksPort, "--control", control.toString()));
        c.addAll(List.of(more));
        Testbed.Proc p = tb.jmptcp("cli", c.toArray(String[]::new)).start();
        p.await("the daemon's control socket", 60, () -> Files.exists(control));
        return p;
    }

    static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Long.parseLong(m.group(1));
    }

    @Test
    void thousandConcurrentSocksConnectionsToTheKernelEchoIntactWithFewThreads() throws Exception {
        String tun = prefix + "t0";
        Path control = tmp.resolve("load.sock");
        Testbed.Proc d = daemon(tun, "10.3.1.1", 1080, control, "--mptcp", "off", "--metrics", "127.0.0.1:9100");
        long[] maxThreads = {0};
        Thread sampler = new Thread(() -> {
            while (d.isAlive() && !Thread.currentThread().isInterrupted()) {
                try {
                    String s = Files.readString(Path.of("/proc/" + d.pid() + "/status"));
                    Matcher m = Pattern.compile("Threads:\\s+(\\d+)").matcher(s);
                    if (m.find()) {
                        maxThreads[0] = Math.max(maxThreads[0], Long.parseLong(m.group(1)));
                    }
                    Thread.sleep(100);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        long t0 = System.nanoTime();
        Host.Result load = tb.sh("cli", "python3 " + tmp.resolve("socks_load.py") + " 127.0.0.1 1080 10.2.1.1 7 1000 65536");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        sampler.interrupt();
        sampler.join();
        assertEquals(0, load.exitCode(), load.output() + "\n" + d.out());
        assertTrue(load.output().contains("ok 1000 of 1000"), load.output());
        assertTrue(maxThreads[0] > 0 && maxThreads[0] < 64, "daemon JVM threads " + maxThreads[0]);
        String json = StatusCommand.ask(control, "status");
        assertTrue(json.startsWith("{\"connections\":["), json);
        assertEquals(1000, number(json, "socks_connected_total"));
        Host.Result metrics = tb.sh("cli", "curl -s http://127.0.0.1:9100/metrics");
        // the Prometheus client writes every value as a double: 1000.0
        assertTrue(Pattern.compile("^jmptcp_socks_connected_total 1000\\.0$", Pattern.MULTILINE)
                .matcher(metrics.output()).find(), metrics.output());
        System.out.printf("1000 x 64 KiB both ways in %d ms, daemon threads at most %d%n", ms, maxThreads[0]);
        d.terminate();
        assertEquals(0, d.exitCode(30), d.out());
    }

    /** Bytes the client namespace received on path k's interface (a kernel counter). */
    private long rxBytes(int k) {
        return Long.parseLong(tb.sh("cli", "cat /sys/class/net/" + prefix + "c" + k + "/statistics/rx_bytes").output().trim());
    }

    @Test
    void curlThroughSocksToTheKernelsMptcpUsesBothBalancedPathsAndStatusAgreesWithTheKernel() throws Exception {
        String tun = prefix + "t2";
        Path control = tmp.resolve("mptcp.sock");
        Testbed.Proc d = daemon(tun, "10.3.3.1", 1082, control, "--mptcp", "on", "--address", "10.3.4.1");
        Path out = tmp.resolve("mptcp-download.bin");
        long rx3 = rxBytes(3);
        long rx4 = rxBytes(4);
        Testbed.Proc curl = tb.launch("cli", "curl", "-sS", "--fail", "-o", out.toString(),
                "--socks5-hostname", "127.0.0.1:1082", "http://10.2.3.1:8081/file.bin").start();
        String last = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (curl.isAlive() && System.nanoTime() < deadline) { // subflows vanish with the connection
            String json = StatusCommand.ask(control, "status");
            if (json.contains("\"remote\":\"10.2.3.1:8081\"")) {
                last = json;
            }
            Thread.sleep(200);
        }
        assertEquals(0, curl.exitCode(10), curl.out() + d.out());
        assertEquals(Testbed.sha256(tmp.resolve("www/file.bin")), Testbed.sha256(out),
                "SHA-256 of the download matches the file");
        double total = 20 << 20;
        double p3 = (rxBytes(3) - rx3) / total;
        double p4 = (rxBytes(4) - rx4) / total;
        assertTrue(p3 >= 0.2 && p4 >= 0.2, "each path carries at least 20 %% (kernel counters): %.2f %.2f".formatted(p3, p4));
        assertTrue(last != null, "status showed the connection during the transfer");
        assertTrue(last.contains("\"mptcp\":true"), last);
        Matcher m = Pattern.compile("\"local\":\"(10\\.3\\.[34]\\.1):\\d+\",\"remote\":\"10\\.2\\.3\\.1:8081\",\"state\":\"[A-Z_]+\","
                + "\"backup\":(?:true|false),\"rtt_us\":\\d+,\"cwnd\":\\d+,\"bytes_sent\":\\d+,\"bytes_received\":(\\d+)").matcher(last);
        long s3 = 0;
        long s4 = 0;
        while (m.find()) {
            if (m.group(1).equals("10.3.3.1")) {
                s3 += Long.parseLong(m.group(2));
            } else {
                s4 += Long.parseLong(m.group(2));
            }
        }
        assertTrue(s3 > 0 && s4 > 0, "two subflows in " + last);
        double share3 = (double) s3 / (s3 + s4);
        double kernel3 = p3 / (p3 + p4);
        assertTrue(share3 >= 0.2 && share3 <= 0.8, "status: path 3 share " + share3);
        assertTrue(Math.abs(share3 - kernel3) < 0.15,
                "status (%.2f) and the kernel's interface counters (%.2f) agree on path 3's share".formatted(share3, kernel3));
        System.out.printf("MPTCP through SOCKS: path 3 %.0f %%, path 4 %.0f %% (kernel); status share of path 3 %.0f %%%n",
                100 * p3, 100 * p4, 100 * share3);
        d.terminate();
        d.exitCode(30);
    }

    @Test
    void sigtermDuringADownloadLetsItFinishThenRemovesTheDeviceAndRoutes() throws Exception {
        String tun = prefix + "t1";
        Path control = tmp.resolve("term.sock");
        Testbed.Proc d = daemon(tun, "10.3.2.1", 1081, control, "--mptcp", "off", "--drain-timeout", "30");
        assertEquals(0, tb.sh("cli", "ip link show " + tun + " && ip route show | grep -q '10.3.2.1 dev " + tun + "'").exitCode(),
                "device and route while running");
        Path out = tmp.resolve("download.bin");
        Testbed.Proc curl = tb.launch("cli", "curl", "-sS", "--fail", "-o", out.toString(),
                "--socks5-hostname", "127.0.0.1:1081", "http://10.2.2.1:8080/file.bin").start();
        Testbed.await("the download to be under way", 60, () -> Files.exists(out) && out.toFile().length() > (2 << 20));
        assertTrue(curl.isAlive(), "still downloading when SIGTERM comes");
        long sizeAtTerm = out.toFile().length();
        d.terminate(); // SIGTERM
        int curlExit = curl.exitCode(60);
        int daemonExit = d.exitCode(60);
        assertEquals(0, curlExit, "the transfer finished: " + curl.out() + d.out());
        assertEquals(Testbed.sha256(tmp.resolve("www/file.bin")), Testbed.sha256(out),
                "SHA-256 of the download matches the file");
        assertEquals(0, daemonExit, d.out());
        assertTrue(d.out().contains("drained 1 relay(s)"), d.out());
        assertFalse(tb.sh("cli", "ip link show " + tun).exitCode() == 0, "the device is gone");
        assertFalse(tb.sh("cli", "ip route show table all | grep -q " + tun).exitCode() == 0, "its routes are gone");
        assertFalse(Files.exists(control), "the control socket is removed");
        System.out.printf("SIGTERM at %d of %d bytes; the download finished%n", sizeAtTerm, 20 << 20);
    }
}
