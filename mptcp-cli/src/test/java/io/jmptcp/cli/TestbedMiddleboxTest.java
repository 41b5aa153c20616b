package io.jmptcp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.util.ArrayList;
import java.util.List;
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
    private Testbed tb;

    @BeforeEach
    void up() throws Exception {
        Host.requireNetns("ping", "tc", "nft", "iperf3", "mptcpize", "nstat", "bash");
        tb = Testbed.options(Testbed.randomPrefix("jtun")).paths(4).noSignal()
                .nat(1).strip(2, "syn").nftLoss(3, 30).rate(4, 10).up();
        // No extra subflows from the kernel client: each check below uses exactly one path.
        tb.exec("cli", "ip", "mptcp", "endpoint", "flush").check();
    }

    @AfterEach
    void down() {
        if (tb != null) {
            tb.close();
        }
    }

    /** One iperf3 run: a server for one test in the server namespace, a client bound to {@code src}. */
    private String iperf(boolean mptcp, String src, String dst, int seconds, String... extra) throws Exception {
        String wrap = mptcp ? "mptcpize run " : "";
        String log = tb.dir().resolve("iperf-server.log").toString();
        tb.sh("srv", "rm -f " + log + "; " + wrap + "iperf3 -s -1 -D --logfile " + log).check();
        Testbed.await("the iperf3 server to listen", 10, () -> listening5201());
        List<String> cmd = new ArrayList<>();
        if (mptcp) {
            cmd.addAll(List.of("mptcpize", "run"));
        }
        cmd.addAll(List.of("iperf3", "-c", dst, "-B", src, "-t", Integer.toString(seconds)));
        cmd.addAll(List.of(extra));
        Host.Result r = tb.exec(60, "cli", cmd);
        assertEquals(0, r.exitCode(), r.output());
        Testbed.await("the iperf3 server to finish", 10, () -> !listening5201());
        return r.output() + tb.sh("srv", "cat " + log + "; rm -f " + log).check().output();
    }

    private boolean listening5201() {
        return tb.exec("srv", "ss", "-ltn").check().output().contains(":5201");
    }

    private long serverCounter(String name) {
        return tb.counters("srv").getOrDefault(name, 0L);
    }

    @Test
    void natStripLossAndRate() throws Exception {
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
        Host.Result ping = tb.exec(60, "cli", List.of("ping", "-c", "400", "-i", "0.005", "-W", "1", "-q",
                "-I", "10.1.3.1", "10.2.3.1"));
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
