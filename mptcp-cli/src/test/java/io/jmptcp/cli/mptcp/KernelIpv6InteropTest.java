package io.jmptcp.cli.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.testutil.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String CLI = "jmp6-cli";
    private static final String SRV = "jmp6-srv";
    private static Path tmp;
    private static String launcher;

    @BeforeAll
    static void up() throws IOException {
        Host.requireNetns("python3", "nstat");
        tmp = Files.createTempDirectory("jmp6");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = tmp.resolve("jmptcp");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + cp + "' io.jmptcp.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        launcher = script.toString();
        down();
        Host.sh(String.join("\n",
                "set -e",
                "ip netns add " + CLI, "ip netns add " + SRV,
                "ip -n " + CLI + " link add jmp6a type veth peer name jmp6b netns " + SRV,
                "ip -n " + CLI + " link set lo up", "ip -n " + SRV + " link set lo up",
                "ip -n " + CLI + " addr add 10.61.0.1/24 dev jmp6a",
                "ip -n " + CLI + " addr add fd61::1/64 dev jmp6a nodad",
                "ip -n " + SRV + " addr add 10.61.0.2/24 dev jmp6b",
                "ip -n " + SRV + " addr add fd61::2/64 dev jmp6b nodad",
                "ip -n " + CLI + " link set jmp6a up", "ip -n " + SRV + " link set jmp6b up",
                // The stack's addresses (10.63.0.1, fd63::1) sit behind the client's kernel.
                "ip -n " + SRV + " route add 10.63.0.0/24 via 10.61.0.1",
                "ip -n " + SRV + " route add fd63::/64 via fd61::1",
                "ip netns exec " + CLI + " sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"
                        + " net.ipv4.conf.all.rp_filter=0",
                "ip netns exec " + SRV + " sysctl -qw net.mptcp.enabled=1",
                "ip -n " + SRV + " mptcp limits set subflow 8 add_addr_accepted 8",
                // The kernel announces its IPv6 address on every MPTCP connection.
                "ip -n " + SRV + " mptcp endpoint add fd61::2 dev jmp6b signal"));
    }

    @AfterAll
    static void down() {
        Host.run(30, List.of("ip", "netns", "del", CLI));
        Host.run(30, List.of("ip", "netns", "del", SRV));
    }

    private static KernelInteropTest.Outcome transfer(int port, long bytes, String server, String... addresses)
            throws Exception {
        Path ready = tmp.resolve("ready-" + port);
        Path peerOut = tmp.resolve("peer-" + port);
        Process peer = KernelInteropTest.start(null, peerOut, tmp.resolve("peer-err-" + port), List.of("ip", "netns",
                "exec", SRV, "python3", REPO.resolve("scripts/peer.py").toString(), "server", "--port",
                Integer.toString(port), "--mptcp", "--send", Long.toString(bytes), "--ready", ready.toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(ready) && peer.isAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(Files.exists(ready), "peer did not start");
        Path in = KernelInteropTest.input(bytes, port, tmp);
        Path out = tmp.resolve("out-" + port);
        Path log = tmp.resolve("log-" + port);
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", CLI, launcher, "nc", "--tun", "jmp6t0"));
        for (String a : addresses) {
            cmd.addAll(List.of("--address", a));
        }
        cmd.addAll(List.of(server, Integer.toString(port)));
        Process nc = KernelInteropTest.start(in, out, log, cmd);
        int rc = KernelInteropTest.await(nc, 120);
        KernelInteropTest.await(peer, 30);
        return new KernelInteropTest.Outcome(rc, Files.readString(log), KernelInteropTest.sha256(out), Files.size(out),
                KernelInteropTest.sha256(in), Files.readString(peerOut));
    }

    @Test
    void ipv6EndToEnd() throws Exception {
        Map<String, Long> before = KernelInteropTest.nstat(SRV);
        KernelInteropTest.Outcome o = transfer(7200, 16L << 20, "fd61::2", "fd63::1");
        Map<String, Long> after = KernelInteropTest.nstat(SRV);
        o.assertIntact(16L << 20);
        assertEquals("true", o.peer().group(5));
        assertEquals(1, KernelInteropTest.delta(before, after, "MPCapableSYNRX"));
        assertEquals(1, KernelInteropTest.delta(before, after, "MPCapableACKRX"));
        assertTrue(o.ncLog().contains("local=[fd63:0:0:0:0:0:0:1]"), o.ncLog());
    }

    @Test
    void oneConnectionWithAnIpv4AndAnIpv6Subflow() throws Exception {
        Map<String, Long> before = KernelInteropTest.nstat(SRV);
        KernelInteropTest.Outcome o = transfer(7201, 16L << 20, "10.61.0.2", "10.63.0.1", "fd63::1");
        Map<String, Long> after = KernelInteropTest.nstat(SRV);
        o.assertIntact(16L << 20);
        assertEquals(1, KernelInteropTest.delta(before, after, "MPJoinSynRx"));
        assertEquals(1, KernelInteropTest.delta(before, after, "MPJoinAckRx"));
        assertTrue(o.stack("AddAddr") >= 1, o.ncLog());
        // Both subflows, one per family, carried data both ways.
        Matcher m = Pattern.compile("Subflow\\[local=([^,]+), remote=([^,]+),[^]]*bytesSent=(\\d+), bytesReceived=(\\d+)")
                .matcher(o.ncLog().substring(o.ncLog().indexOf("closed cleanly")));
        int v4 = 0;
        int v6 = 0;
        while (m.find()) {
            boolean ok = Long.parseLong(m.group(3)) > 0 && Long.parseLong(m.group(4)) > 0;
            if (ok && m.group(2).startsWith("[")) {
                v6++;
            } else if (ok) {
                v4++;
            }
        }
        assertEquals(1, v4, o.ncLog());
        assertEquals(1, v6, o.ncLog());
    }
}
