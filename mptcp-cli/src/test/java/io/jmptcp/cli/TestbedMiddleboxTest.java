package io.jmptcp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.testutil.Host;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The testbed's kernel-side impairments, each on its own path, checked with the kernel's own
 * tools: NAT (path 1), MPTCP option stripping from the SYN (path 2), nftables loss (path 3) and
 * the tbf rate (path 4). No link emulator is involved.
 */
@Tag("netns")
class TestbedMiddleboxTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private String prefix;

    @BeforeEach
    void up() {
        Host.requireNetns("ping", "tc", "nft", "iperf3", "mptcpize", "nstat", "bash");
        prefix = "jtun" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0xfff));
        Host.Result r = Host.run(300, List.of(REPO.resolve("scripts/testbed.sh").toString(), "up",
                "--prefix", prefix, "--paths", "4", "--no-signal",
                "--nat", "1", "--strip", "2=syn", "--nftloss", "3=30", "--rate", "4=10"));
        assertEquals(0, r.exitCode(), r.output());
        // No extra subflows from the kernel client: each check below uses exactly one path.
        Host.sh("ip -n " + prefix + "-cli mptcp endpoint flush");
    }

    @AfterEach
    void down() {
        if (prefix != null) {
            Host.run(REPO.resolve("scripts/testbed.sh").toString(), "down", "--prefix", prefix);
        }
    }

    private String ns(String which) {
        return prefix + "-" + which;
    }

    /** One iperf3 run: a server for one test in the server namespace, a client bound to {@code src}. */
    private String iperf(boolean mptcp, String src, String dst, int seconds, String... extra) {
        String wrap = mptcp ? "mptcpize run " : "";
        String log = "/tmp/" + prefix + "-iperf-server.log";
        Host.sh("rm -f " + log + "; ip netns exec " + ns("srv") + " " + wrap + "iperf3 -s -1 -D --logfile " + log);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Host.sh("ip netns exec " + ns("srv") + " ss -ltn").contains(":5201")) {
            assertTrue(System.nanoTime() < deadline, "iperf3 server did not start");
            pause();
        }
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns("cli")));
        if (mptcp) {
            cmd.addAll(List.of("mptcpize", "run"));
        }
        cmd.addAll(List.of("iperf3", "-c", dst, "-B", src, "-t", Integer.toString(seconds)));
        cmd.addAll(List.of(extra));
        Host.Result r = Host.run(60, cmd);
        assertEquals(0, r.exitCode(), r.output());
        deadline = System.nanoTime() + 10_000_000_000L;
        while (Host.sh("ip netns exec " + ns("srv") + " ss -ltn").contains(":5201")) {
            assertTrue(System.nanoTime() < deadline, "iperf3 server did not finish");
            pause();
        }
        return r.output() + Host.sh("cat " + log + "; rm -f " + log);
    }

    /** The interval between two looks at a condition that has a deadline. */
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private long serverCounter(String name) {
        String out = Host.sh("ip netns exec " + ns("srv") + " nstat -az " + name);
        Matcher m = Pattern.compile(name + "\\s+(\\d+)").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void natStripLossAndRate() {
        // NAT, path 1: the server sees the router's address, not the client's.
        String nat = iperf(false, "10.1.1.1", "10.2.1.1", 1);
        assertTrue(nat.contains("Accepted connection from 10.2.1.254"), nat);
        String plain = iperf(false, "10.1.4.1", "10.2.4.1", 1);
        assertTrue(plain.contains("Accepted connection from 10.1.4.1"), "path 4 has no NAT: " + plain);

        // Stripping MP_CAPABLE from SYNs, path 2: the connection still works (RFC 8684 section
        // 3.7 fallback to TCP), and the server never sees an MP_CAPABLE SYN.
        long syn0 = serverCounter("MPTcpExtMPCapableSYNRX");
        iperf(true, "10.1.2.1", "10.2.2.1", 1);
        long syn1 = serverCounter("MPTcpExtMPCapableSYNRX");
        assertEquals(syn0, syn1, "an MP_CAPABLE SYN got through path 2");
        iperf(true, "10.1.1.1", "10.2.1.1", 1);
        assertTrue(serverCounter("MPTcpExtMPCapableSYNRX") > syn1, "path 1 carries MP_CAPABLE SYNs");

        // nftables loss of 30 % each way, path 3: an echo survives with p = 0.7 * 0.7 = 0.49.
        Host.Result ping = Host.run(60, List.of("ip", "netns", "exec", ns("cli"),
                "ping", "-c", "400", "-i", "0.005", "-W", "1", "-q", "-I", "10.1.3.1", "10.2.3.1"));
        Matcher m = Pattern.compile("(\\d+) received").matcher(ping.output());
        assertTrue(m.find(), ping.output());
        int received = Integer.parseInt(m.group(1));
        double sigma = Math.sqrt(400 * 0.49 * 0.51);
        assertTrue(Math.abs(received - 196) <= 4 * sigma, "received " + received + " of 400, expected 196 +- "
                + 4 * sigma);

        // tbf at 10 Mbit/s, path 4.
        String rate = iperf(false, "10.1.4.1", "10.2.4.1", 3, "-J");
        Matcher bps = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*\"bits_per_second\"\\s*:\\s*([0-9.e+]+)")
                .matcher(rate);
        assertTrue(bps.find(), rate);
        double mbit = Double.parseDouble(bps.group(1)) / 1e6;
        assertTrue(mbit > 8.0 && mbit < 10.5, "path 4 goodput " + mbit + " Mbit/s, expected just under 10");
    }
}
