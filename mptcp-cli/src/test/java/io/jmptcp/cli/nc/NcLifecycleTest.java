package io.jmptcp.cli.nc;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code jmptcp nc} leaves behind: in a scratch namespace whose kernel owns 10.8.0.1 (and
 * answers SYNs to closed ports with RSTs), a refused connection exits 1 with "connection refused"
 * and removes the TUN device and its host route; SIGTERM while listening does the same; a device
 * that existed before keeps existing, without the route nc added.
 */
@Tag("netns")
class NcLifecycleTest {
    @TempDir
    Path tmp;
    private String ns;
    private String jmptcp;

    @BeforeEach
    void namespace() throws IOException {
        Host.requireNetns();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = tmp.resolve("jmptcp");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + cp + "' io.jmptcp.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        jmptcp = script.toString();
        ns = "jrtl" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0xfff));
        Host.sh("ip netns add " + ns + " && ip -n " + ns + " link set lo up && ip -n " + ns
                + " addr add 10.8.0.1/32 dev lo");
    }

    @AfterEach
    void remove() {
        Host.run("ip", "netns", "del", ns);
    }

    private ProcessBuilder nc(Path err, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, jmptcp, "nc", "--mptcp", "off",
                "--tun", "jrtlt0", "--address", "10.3.9.1"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(tmp.resolve("out").toFile()).redirectError(err.toFile());
    }

    private boolean deviceExists() {
        return Host.run("ip", "-n", ns, "link", "show", "dev", "jrtlt0").exitCode() == 0;
    }

    private boolean routeExists() {
        return Host.run("ip", "-n", ns, "route", "show", "10.3.9.1").output().contains("jrtlt0");
    }

    @Test
    void refusedExitsOneAndRemovesDeviceAndRoute() throws Exception {
        Path err = tmp.resolve("err");
        Process p = nc(err, "10.8.0.1", "9").start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "nc did not exit");
        String log = Files.readString(err);
        assertEquals(1, p.exitValue(), log);
        assertTrue(log.contains("connection refused"), log);
        assertFalse(deviceExists(), "TUN device left behind");
        assertFalse(routeExists(), "host route left behind");
    }

    @Test
    void sigtermWhileListeningCleansUp() throws Exception {
        Path err = tmp.resolve("err");
        Process p = nc(err, "-l", "7000").start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(err).contains("listening on port 7000")) {
            assertTrue(p.isAlive(), "nc -l exited:\n" + Files.readString(err));
            assertTrue(System.nanoTime() < deadline, "nc -l did not start listening");
            Thread.sleep(50);
        }
        assertTrue(deviceExists() && routeExists(), "device and route while running");
        p.destroy(); // SIGTERM to the JVM (ip netns exec and the launcher exec it)
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "nc did not stop on SIGTERM");
        assertFalse(deviceExists(), "TUN device left behind after SIGTERM");
        assertFalse(routeExists(), "host route left behind after SIGTERM");
    }

    @Test
    void anExistingDeviceStaysWithoutTheRoute() throws Exception {
        Host.sh("ip -n " + ns + " tuntap add dev jrtlt0 mode tun");
        Path err = tmp.resolve("err");
        Process p = nc(err, "10.8.0.1", "9").start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "nc did not exit");
        assertEquals(1, p.exitValue(), Files.readString(err));
        assertTrue(deviceExists(), "nc removed a device it did not create");
        assertFalse(routeExists(), "host route left behind");
    }
}
