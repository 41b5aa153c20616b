package io.jmptcp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * scripts/testbed.sh with the link emulator ({@code jmptcp netem}, run from this module's classes)
 * on path 1: the kernel's ping over path 1 shows the added delay, path 2 does not, a second
 * instance with another prefix works alongside, and {@code down} leaves nothing behind.
 */
@Tag("netns")
class TestbedNetemTest {
    private static final Pattern RTT = Pattern.compile("rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/([0-9.]+)");

    /** min and avg RTT in ms of {@code count} pings from {@code src} to {@code dst} in the client namespace. */
    private static double[] ping(Testbed tb, String src, String dst, int count) {
        Host.Result r = tb.exec(60, "cli", List.of("ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "2",
                "-I", src, dst));
        assertEquals(0, r.exitCode(), r.output());
        Matcher m = RTT.matcher(r.output());
        assertTrue(m.find(), r.output());
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    @Test
    void delayOnPathOneOnlyAndCleanTeardown() throws Exception {
        Host.requireNetns("ping", "tc", "nft", "setsid", "bash");
        try (Testbed a = Testbed.options(Testbed.randomPrefix("jtun")).paths(2).delay(1, 20).up();
             Testbed b = Testbed.options(Testbed.randomPrefix("jtun")).paths(1).up()) {
            assertTrue(a.upOutput().contains("10.3.1.1") && a.upOutput().contains("10.2.2.1"), a.upOutput());

            // 20 ms each way through the relay: the RTT is at least 40 ms.
            double[] path1 = ping(a, "10.1.1.1", "10.2.1.1", 5);
            assertTrue(path1[0] >= 40.0, "path 1 min RTT " + path1[0] + " ms, expected >= 40");
            assertTrue(path1[1] < 40.0 + 30.0, "path 1 avg RTT " + path1[1] + " ms: the relay adds too much");
            // The same server address reached over path 2 (source routing) has no emulator.
            double[] path2 = ping(a, "10.1.2.1", "10.2.1.1", 5);
            assertTrue(path2[1] < 10.0, "path 2 avg RTT " + path2[1] + " ms, expected no added delay");
            double[] other = ping(b, "10.1.1.1", "10.2.1.1", 3);
            assertTrue(other[1] < 10.0, "the second testbed has no delay: " + other[1] + " ms");

            assertEquals(0, a.down().exitCode());
            assertEquals(0, b.down().exitCode());
            String left = Host.sh("ip netns list");
            assertFalse(left.contains(a.prefix() + "-") || left.contains(b.prefix() + "-"), "namespaces left: " + left);
            assertFalse(Files.exists(Path.of("/run/jmptcp-testbed", a.prefix())), "run directory left");
            assertEquals(1, Host.run("pgrep", "-f", "netem --dev " + a.prefix() + "n1").exitCode(), "relay still running");
            // down is idempotent
            assertEquals(0, a.down().exitCode());
        }
    }
}
