package io.jmptcp.cli.mptcp;

import static io.jmptcp.cli.testbed.Testbed.delta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * IPv6 against the Linux kernel (the testbed is IPv4-only, so this class builds its own two
 * namespaces joined by one dual-stack veth): an IPv6-only MPTCP connection, and one connection with
 * an IPv4 subflow and an IPv6 subflow, the IPv6 address learnt from the kernel's ADD_ADDR
 * (RFC 6182 section 2.2.2).
 */
@Tag("netns")
class KernelIpv6InteropTest {
    private static Testbed tb;

    @BeforeAll
    static void up() throws IOException {
        Host.requireNetns("python3", "nstat");
        tb = Testbed.namespaces("jmp6", "cli", "srv");
        String cli = tb.ns("cli");
        String srv = tb.ns("srv");
        Host.sh(String.join("\n",
                "set -e",
                "ip -n " + cli + " link add jmp6a type veth peer name jmp6b netns " + srv,
                "ip -n " + cli + " addr add 10.61.0.1/24 dev jmp6a",
                "ip -n " + cli + " addr add fd61::1/64 dev jmp6a nodad",
                "ip -n " + srv + " addr add 10.61.0.2/24 dev jmp6b",
                "ip -n " + srv + " addr add fd61::2/64 dev jmp6b nodad",
                "ip -n " + cli + " link set jmp6a up", "ip -n " + srv + " link set jmp6b up",
                // The stack's addresses (10.63.0.1, fd63::1) sit behind the client's kernel.
                "ip -n " + srv + " route add 10.63.0.0/24 via 10.61.0.1",
                "ip -n " + srv + " route add fd63::/64 via fd61::1",
                "ip netns exec " + cli + " sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"
                        + " net.ipv4.conf.all.rp_filter=0",
                "ip netns exec " + srv + " sysctl -qw net.mptcp.enabled=1",
                "ip -n " + srv + " mptcp limits set subflow 8 add_addr_accepted 8",
                // The kernel announces its IPv6 address on every MPTCP connection.
                "ip -n " + srv + " mptcp endpoint add fd61::2 dev jmp6b signal"));
    }

    @AfterAll
    static void down() {
        if (tb != null) {
            tb.close();
        }
    }

    private static KernelInteropTest.Outcome transfer(int port, long bytes, String server, String... addresses)
            throws Exception {
        Testbed.Proc peer = KernelInteropTest.peer(tb, port, List.of("server", "--port", Integer.toString(port),
                "--mptcp", "--send", Long.toString(bytes)));
        Path in = KernelInteropTest.input(bytes, port, tb.dir());
        // The client acts on the kernel's announcement, as a kernel client would with
        // "ip mptcp limits set add_addr_accepted 1" (the default, 0, ignores it).
        // --stats: the subflows' counters every 50 ms, so a subflow that ends before the connection
        // (and so is no longer listed when it closes) still shows what it carried.
        List<String> cmd = new ArrayList<>(List.of("nc", "--tun", "jmp6t0", "--add-addr-accepted", "1",
                "--stats", "50"));
        for (String a : addresses) {
            cmd.addAll(List.of("--address", a));
        }
        cmd.addAll(List.of(server, Integer.toString(port)));
        return KernelInteropTest.outcome(KernelInteropTest.nc(tb, in, port, cmd), peer, in);
    }

    @Test
    void ipv6EndToEnd() throws Exception {
        Map<String, Long> before = tb.mptcpCounters("srv");
        KernelInteropTest.Outcome o = transfer(7200, 16L << 20, "fd61::2", "fd63::1");
        Map<String, Long> after = tb.mptcpCounters("srv");
        o.assertIntact(16L << 20);
        assertEquals("true", o.peer().group(5));
        assertEquals(1, delta(before, after, "MPCapableSYNRX"));
        assertEquals(1, delta(before, after, "MPCapableACKRX"));
        assertTrue(o.ncLog().contains("local=[fd63:0:0:0:0:0:0:1]"), o.ncLog());
    }

    @Test
    void oneConnectionWithAnIpv4AndAnIpv6Subflow() throws Exception {
        Map<String, Long> before = tb.mptcpCounters("srv");
        KernelInteropTest.Outcome o = transfer(7201, 16L << 20, "10.61.0.2", "10.63.0.1", "fd63::1");
        Map<String, Long> after = tb.mptcpCounters("srv");
        o.assertIntact(16L << 20);
        assertEquals(1, delta(before, after, "MPJoinSynRx"));
        assertEquals(1, delta(before, after, "MPJoinAckRx"));
        assertTrue(o.stack("AddAddr") >= 1, o.ncLog());
        // Both subflows, one per family, carried data both ways: the most each showed, in the --stats
        // lines' subflow objects (not the connection's own counters, which carry the initial
        // subflow's addresses) and in the last ConnectionInfo (a joined subflow that closed first
        // has left that one).
        Matcher m = Pattern.compile("(?:\\[|\\},)\\{\"local\":\"([^\"]+)\",\"remote\":\"([^\"]+)\"[^}]*\"bytesSent\":(\\d+),\"bytesReceived\":(\\d+)"
                + "|Subflow\\[local=([^,]+), remote=([^,]+),[^]]*bytesSent=(\\d+), bytesReceived=(\\d+)").matcher(o.ncLog());
        Map<String, long[]> most = new java.util.HashMap<>();
        while (m.find()) {
            int g = m.group(1) != null ? 1 : 5;
            long[] b = most.computeIfAbsent(m.group(g) + " " + m.group(g + 1), k -> new long[2]);
            b[0] = Math.max(b[0], Long.parseLong(m.group(g + 2)));
            b[1] = Math.max(b[1], Long.parseLong(m.group(g + 3)));
        }
        int v4 = 0;
        int v6 = 0;
        for (Map.Entry<String, long[]> e : most.entrySet()) {
            if (e.getValue()[0] > 0 && e.getValue()[1] > 0) {
                if (e.getKey().split(" ")[1].startsWith("[")) {
                    v6++;
                } else {
                    v4++;
                }
            }
        }
        assertEquals(1, v4, o.ncLog());
        assertEquals(1, v6, o.ncLog());
    }
}
