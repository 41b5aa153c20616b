package io.jmptcp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/testbed.sh with the link emulator ({@code jmptcp netem}, run from this module's classes)
 * on path 1: the kernel's ping over path 1 shows the added delay, path 2 does not, a second
 * instance with another prefix works alongside, and {@code down} leaves nothing behind.
 */
@Tag("netns")
class TestbedNetemTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern RTT = Pattern.compile("rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/([0-9.]+)");

    @TempDir
    Path tmp;
    private final List<String> prefixes = new ArrayList<>();
    private String jmptcp;

    @BeforeEach
    void launcher() throws IOException {
        Host.requireNetns("ping", "tc", "nft", "setsid", "bash");
        // The relay runs this module's classes, as the jar would: a launcher script on the test
        // class path (surefire.test.class.path holds the real one; java.class.path may be a
        // manifest-only jar).
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = tmp.resolve("jmptcp");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + cp + "' io.jmptcp.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        jmptcp = script.toString();
    }

    @AfterEach
    void down() {
        for (String p : prefixes) {
            testbed("down", "--prefix", p);
        }
    }

    private Host.Result testbed(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "JMPTCP_CMD=" + jmptcp,
                REPO.resolve("scripts/testbed.sh").toString()));
        cmd.addAll(List.of(args));
        return Host.run(300, cmd);
    }

    private String prefix() {
        String p = "jtun" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0xfff));
        prefixes.add(p);
        return p;
    }

    /** min and avg RTT in ms of {@code count} pings from {@code src} to {@code dst} in the client namespace. */
    private static double[] ping(String prefix, String src, String dst, int count) {
        Host.Result r = Host.run(60, List.of("ip", "netns", "exec", prefix + "-cli",
                "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "2", "-I", src, dst));
        assertEquals(0, r.exitCode(), r.output());
        Matcher m = RTT.matcher(r.output());
        assertTrue(m.find(), r.output());
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    @Test
    void delayOnPathOneOnlyAndCleanTeardown() {
        String a = prefix();
        String b = prefix();
        Host.Result up = testbed("up", "--prefix", a, "--paths", "2", "--delay", "1=20");
        assertEquals(0, up.exitCode(), up.output());
        assertTrue(up.output().contains("10.3.1.1") && up.output().contains("10.2.2.1"), up.output());
        Host.Result upB = testbed("up", "--prefix", b, "--paths", "1");
        assertEquals(0, upB.exitCode(), upB.output());

        // 20 ms each way through the relay: the RTT is at least 40 ms.
        double[] path1 = ping(a, "10.1.1.1", "10.2.1.1", 5);
        assertTrue(path1[0] >= 40.0, "path 1 min RTT " + path1[0] + " ms, expected >= 40");
        assertTrue(path1[1] < 40.0 + 30.0, "path 1 avg RTT " + path1[1] + " ms: the relay adds too much");
        // The same server address reached over path 2 (source routing) has no emulator.
        double[] path2 = ping(a, "10.1.2.1", "10.2.1.1", 5);
        assertTrue(path2[1] < 10.0, "path 2 avg RTT " + path2[1] + " ms, expected no added delay");
        double[] other = ping(b, "10.1.1.1", "10.2.1.1", 3);
        assertTrue(other[1] < 10.0, "the second testbed has no delay: " + other[1] + " ms");

        assertEquals(0, testbed("down", "--prefix", a).exitCode());
        assertEquals(0, testbed("down", "--prefix", b).exitCode());
        String left = Host.sh("ip netns list");
        assertFalse(left.contains(a + "-") || left.contains(b + "-"), "namespaces left: " + left);
        assertFalse(Files.exists(Path.of("/run/jmptcp-testbed", a)), "run directory left");
        assertEquals(1, Host.run("pgrep", "-f", "netem --dev " + a + "n1").exitCode(), "relay still running");
        // down is idempotent
        assertEquals(0, testbed("down", "--prefix", a).exitCode());
    }
}
