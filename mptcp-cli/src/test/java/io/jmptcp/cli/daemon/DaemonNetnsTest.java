package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.status.StatusCommand;
import io.jmptcp.core.testutil.Host;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private Path tmp;
    private String prefix;
    private String jmptcp;
    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    void up() throws Exception {
        Host.requireNetns("python3", "curl", "bash", "sha256sum", "mptcpize");
        tmp = Files.createTempDirectory("jdm-daemon");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = tmp.resolve("jmptcp");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + cp + "' io.jmptcp.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        jmptcp = script.toString();
        for (String py : new String[] {"echo_server.py", "socks_load.py"}) {
            try (var in = getClass().getResourceAsStream("/daemon/" + py)) {
                Files.write(tmp.resolve(py), in.readAllBytes());
            }
        }
        prefix = "jdm" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0xfff));
        Host.Result r = Host.run(300, List.of("env", "JMPTCP_CMD=" + jmptcp, REPO.resolve("scripts/testbed.sh").toString(),
                "up", "--prefix", prefix, "--paths", "4", "--rate", "2=20", "--rate", "3=20", "--rate", "4=20", "--no-signal"));
        assertEquals(0, r.exitCode(), r.output());
        startIn("srv", tmp.resolve("echo.log"), "python3", tmp.resolve("echo_server.py").toString(), "10.2.1.1", "7");
        Path www = Files.createDirectories(tmp.resolve("www"));
        byte[] file = new byte[20 << 20];
        new SplittableRandom(5).nextBytes(file);
        Files.write(www.resolve("file.bin"), file);
        startIn("srv", tmp.resolve("http.log"), "python3", "-m", "http.server", "--bind", "10.2.2.1",
                "--directory", www.toString(), "8080");
        startIn("srv", tmp.resolve("mptcp-http.log"), "mptcpize", "run", "python3", "-m", "http.server", "--bind",
                "10.2.3.1", "--directory", www.toString(), "8081");
        await(() -> ns("srv", "ss -ltn | grep -q '10.2.1.1:7 ' && ss -ltn | grep -q '10.2.2.1:8080 '"
                + " && ss -ltnM | grep -q '10.2.3.1:8081 '").exitCode() == 0,
                20, "the kernel servers to listen");
    }

    @AfterAll
    void down() throws IOException {
        for (Process p : started) {
            p.destroy();
        }
        for (Process p : started) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (prefix != null) {
            Host.run(120, List.of(REPO.resolve("scripts/testbed.sh").toString(), "down", "--prefix", prefix));
        }
        if (tmp != null) {
            try (var files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    private Process startIn(String side, Path log, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "-" + side));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        return p;
    }

    private Host.Result ns(String side, String shell) {
        return Host.run(300, List.of("ip", "netns", "exec", prefix + "-" + side, "bash", "-c", shell));
    }

    private static void await(BooleanSupplier c, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private Process daemon(String tun, String address, int socksPort, Path control, String... more) throws Exception {
        List<String> c = new ArrayList<>(List.of(jmptcp, "daemon", "--tun", tun, "--address", address,
                "--socks", "127.0.0.1:" + socksPort, "--control", control.toString()));
        c.addAll(List.of(more));
        Process p = startIn("cli", tmp.resolve(tun + ".log"), c.toArray(String[]::new));
        await(() -> Files.exists(control) || !p.isAlive(), 60, "the daemon's control socket");
        assertTrue(p.isAlive(), () -> "the daemon died: " + log(tun));
        return p;
    }

    private String log(String tun) {
        try {
            return Files.readString(tmp.resolve(tun + ".log"));
        } catch (IOException e) {
            return e.toString();
        }
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
        Process d = daemon(tun, "10.3.1.1", 1080, control, "--mptcp", "off", "--metrics", "127.0.0.1:9100");
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
        Host.Result load = ns("cli", "python3 " + tmp.resolve("socks_load.py") + " 127.0.0.1 1080 10.2.1.1 7 1000 65536");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        sampler.interrupt();
        sampler.join();
        assertEquals(0, load.exitCode(), load.output() + "\n" + log(tun));
        assertTrue(load.output().contains("ok 1000 of 1000"), load.output());
        assertTrue(maxThreads[0] > 0 && maxThreads[0] < 64, "daemon JVM threads " + maxThreads[0]);
        String json = StatusCommand.ask(control, "status");
        assertTrue(json.startsWith("{\"connections\":["), json);
        assertEquals(1000, number(json, "socks_connected_total"));
        Host.Result metrics = ns("cli", "curl -s http://127.0.0.1:9100/metrics");
        // the Prometheus client writes every value as a double: 1000.0
        assertTrue(Pattern.compile("^jmptcp_socks_connected_total 1000\\.0$", Pattern.MULTILINE)
                .matcher(metrics.output()).find(), metrics.output());
        System.out.printf("1000 x 64 KiB both ways in %d ms, daemon threads at most %d%n", ms, maxThreads[0]);
        d.destroy();
        assertTrue(d.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, d.exitValue(), log(tun));
    }

    /** Bytes the client namespace received on path k's interface (a kernel counter). */
    private long rxBytes(int k) {
        return Long.parseLong(ns("cli", "cat /sys/class/net/" + prefix + "c" + k + "/statistics/rx_bytes").output().trim());
    }

    @Test
    void curlThroughSocksToTheKernelsMptcpUsesBothBalancedPathsAndStatusAgreesWithTheKernel() throws Exception {
        String tun = prefix + "t2";
        Path control = tmp.resolve("mptcp.sock");
        Process d = daemon(tun, "10.3.3.1", 1082, control, "--mptcp", "on", "--address", "10.3.4.1");
        Path out = tmp.resolve("mptcp-download.bin");
        long rx3 = rxBytes(3);
        long rx4 = rxBytes(4);
        Process curl = startIn("cli", tmp.resolve("curl-mptcp.log"), "curl", "-sS", "--fail", "-o", out.toString(),
                "--socks5-hostname", "127.0.0.1:1082", "http://10.2.3.1:8081/file.bin");
        String last = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (curl.isAlive() && System.nanoTime() < deadline) { // subflows vanish with the connection
            String json = StatusCommand.ask(control, "status");
            if (json.contains("\"remote\":\"10.2.3.1:8081\"")) {
                last = json;
            }
            Thread.sleep(200);
        }
        assertTrue(curl.waitFor(10, TimeUnit.SECONDS), "curl finished");
        assertEquals(0, curl.exitValue(), Files.readString(tmp.resolve("curl-mptcp.log")) + log(tun));
        Host.Result sums = ns("cli", "sha256sum " + out + " " + tmp.resolve("www/file.bin") + " | cut -d' ' -f1 | uniq | wc -l");
        assertEquals("1", sums.output().trim(), "SHA-256 of the download matches the file");
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
        d.destroy();
        assertTrue(d.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void sigtermDuringADownloadLetsItFinishThenRemovesTheDeviceAndRoutes() throws Exception {
        String tun = prefix + "t1";
        Path control = tmp.resolve("term.sock");
        Process d = daemon(tun, "10.3.2.1", 1081, control, "--mptcp", "off", "--drain-timeout", "30");
        assertEquals(0, ns("cli", "ip link show " + tun + " && ip route show | grep -q '10.3.2.1 dev " + tun + "'").exitCode(),
                "device and route while running");
        Path out = tmp.resolve("download.bin");
        Process curl = startIn("cli", tmp.resolve("curl.log"), "curl", "-sS", "--fail", "-o", out.toString(),
                "--socks5-hostname", "127.0.0.1:1081", "http://10.2.2.1:8080/file.bin");
        await(() -> Files.exists(out) && out.toFile().length() > (2 << 20), 60, "the download to be under way");
        assertTrue(curl.isAlive(), "still downloading when SIGTERM comes");
        long sizeAtTerm = out.toFile().length();
        d.destroy(); // SIGTERM
        assertTrue(curl.waitFor(60, TimeUnit.SECONDS), "curl finished");
        assertTrue(d.waitFor(60, TimeUnit.SECONDS), "the daemon exited");
        assertEquals(0, curl.exitValue(), "the transfer finished: " + Files.readString(tmp.resolve("curl.log")) + log(tun));
        Host.Result sums = ns("cli", "sha256sum " + out + " " + tmp.resolve("www/file.bin") + " | cut -d' ' -f1 | uniq | wc -l");
        assertEquals("1", sums.output().trim(), "SHA-256 of the download matches the file");
        assertEquals(0, d.exitValue(), log(tun));
        assertTrue(log(tun).contains("drained 1 relay(s)"), log(tun));
        assertFalse(ns("cli", "ip link show " + tun).exitCode() == 0, "the device is gone");
        assertFalse(ns("cli", "ip route show table all | grep -q " + tun).exitCode() == 0, "its routes are gone");
        assertFalse(Files.exists(control), "the control socket is removed");
        System.out.printf("SIGTERM at %d of %d bytes; the download finished%n", sizeAtTerm, 20 << 20);
    }
}
