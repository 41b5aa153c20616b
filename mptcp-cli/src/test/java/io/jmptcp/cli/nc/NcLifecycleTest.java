package io.jmptcp.cli.nc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What {@code jmptcp nc} leaves behind: in a scratch namespace whose kernel owns 10.8.0.1 (and
 * answers SYNs to closed ports with RSTs), a refused connection exits 1 with "connection refused"
 * and removes the TUN device and its host route; SIGTERM while listening does the same; a device
 * that existed before keeps existing, without the route nc added.
 */
@Tag("netns")
class NcLifecycleTest {
    private Testbed tb;

    @BeforeEach
    void namespace() throws Exception {
        Host.requireNetns();
        tb = Testbed.namespaces(Testbed.randomPrefix("jrtl"), "ns");
        tb.exec("ns", "ip", "addr", "add", "10.8.0.1/32", "dev", "lo").check();
    }

    @AfterEach
    void remove() {
        if (tb != null) {
            tb.close();
        }
    }

    private Testbed.Proc nc(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nc", "--mptcp", "off", "--tun", "jrtlt0", "--address", "10.3.9.1"));
        cmd.addAll(List.of(args));
        return tb.jmptcp("ns", cmd.toArray(String[]::new)).stdout(tb.dir().resolve("out"))
                .stderr(tb.dir().resolve("err")).start();
    }

    private boolean deviceExists() {
        return tb.exec("ns", "ip", "link", "show", "dev", "jrtlt0").exitCode() == 0;
    }

    private boolean routeExists() {
        return tb.exec("ns", "ip", "route", "show", "10.3.9.1").output().contains("jrtlt0");
    }

    @Test
    void refusedExitsOneAndRemovesDeviceAndRoute() throws Exception {
        Testbed.Proc p = nc("10.8.0.1", "9");
        int exit = p.exitCode(60);
        String log = p.err();
        assertEquals(1, exit, log);
        assertTrue(log.contains("connection refused"), log);
        assertFalse(deviceExists(), "TUN device left behind");
        assertFalse(routeExists(), "host route left behind");
    }

    @Test
    void sigtermWhileListeningCleansUp() throws Exception {
        Testbed.Proc p = nc("-l", "7000");
        p.awaitErr("listening on port 7000", 60);
        assertTrue(deviceExists() && routeExists(), "device and route while running");
        p.terminate(); // SIGTERM to the JVM (ip netns exec and the launcher exec it)
        p.exitCode(30);
        assertFalse(deviceExists(), "TUN device left behind after SIGTERM");
        assertFalse(routeExists(), "host route left behind after SIGTERM");
    }

    @Test
    void anExistingDeviceStaysWithoutTheRoute() throws Exception {
        tb.exec("ns", "ip", "tuntap", "add", "dev", "jrtlt0", "mode", "tun").check();
        Testbed.Proc p = nc("10.8.0.1", "9");
        assertEquals(1, p.exitCode(60), p.err());
        assertTrue(deviceExists(), "nc removed a device it did not create");
        assertFalse(routeExists(), "host route left behind");
    }
}
