package io.jmptcp.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.runtime.PacketBatch;
import io.jmptcp.core.testutil.Host;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The TUN device against the real kernel, each test in a fresh network namespace. */
@Tag("netns")
class TunDeviceNetnsTest {
    private String ns;

    @BeforeEach
    void namespace() {
        Host.requireNetns("ping");
        ns = "jtun-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        Host.sh("ip netns add " + ns + " && ip -n " + ns + " link set lo up");
    }

    @AfterEach
    void removeNamespace() {
        if (ns != null) {
            Host.run("ip", "netns", "del", ns);
        }
    }

    private TunConfig config(String dev, List<String> stack, List<String> device) {
        return new TunConfig(dev, 1500, stack, device, ns);
    }

    /** Opens with the default (rtnetlink) configuration, or with ip(8) for {@code "ip"}. */
    private TunPacketIo open(String netConfig, TunConfig c) throws java.io.IOException {
        return "ip".equals(netConfig) ? TunPacketIo.open(c, new IpCommandNetConfig(ns)) : TunPacketIo.open(c);
    }

    @ParameterizedTest
    @ValueSource(strings = {"netlink", "ip"})
    void answersPingFromTheKernelAndCleansUp(String netConfig) throws Exception {
        TunPacketIo io = open(netConfig, new TunConfig("jtun0", 1400, List.of("10.77.0.2"), List.of("10.77.0.1/32"), ns));
        AtomicInteger replies = new AtomicInteger();
        Thread responder = new Thread(() -> {
            PacketBatch batch = new PacketBatch(8, 2048, true);
            try {
                while (true) {
                    batch.clear();
                    io.receive(batch, 1_000_000_000L);
                    for (int i = 0; i < batch.size(); i++) {
                        ByteBuffer p = batch.get(i);
                        if (Icmp.turnEchoRequestIntoReply(p)) {
                            io.send(p);
                            replies.incrementAndGet();
                        }
                    }
                }
            } catch (java.nio.channels.ClosedChannelException closed) {
                // the test closed the device: done
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "icmp-responder");
        responder.start();
        try {
            assertTrue(Host.sh("ip -n " + ns + " -d link show jtun0").contains("tun type tun pi off"),
                    "the device is a TUN without packet information");
            assertTrue(Host.sh("ip -n " + ns + " link show jtun0").contains("mtu 1400"), "the MTU was set");
            Host.Result ping = Host.run(30, List.of("ip", "netns", "exec", ns,
                    "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.77.0.2"));
            assertEquals(0, ping.exitCode(), ping.output());
            assertTrue(ping.output().contains("3 received"), ping.output());
            assertEquals(3, replies.get(), "the kernel's three echo requests came through the device");
        } finally {
            io.close();
            responder.join(5_000);
        }
        assertFalse(responder.isAlive(), "close() ends a blocked receive");
        assertTrue(Host.run("ip", "-n", ns, "link", "show", "jtun0").exitCode() != 0,
                "the created device is gone after close");
        assertFalse(Host.sh("ip -n " + ns + " route show table all").contains("10.77.0.2"),
                "no route left behind");
    }

    @Test
    void sendAndReceiveCreateNoGarbagePerPacket() throws Exception {
        // The kernel forwards packets from one stack address to the other back into the device,
        // so every packet written is read again (RFC 1812 forwarding; no redirects, no rp_filter).
        Host.sh("ip netns exec " + ns + " sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0"
                + " net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.all.rp_filter=0"
                + " net.ipv4.conf.default.rp_filter=0");
        try (TunPacketIo io = TunPacketIo.open(config("jtunr", List.of("10.77.4.2", "10.77.5.2"), List.of()))) {
            ByteBuffer p = ByteBuffer.allocateDirect(100);
            // IPv4 header (RFC 791) 10.77.5.2 -> 10.77.4.2, protocol 253 (RFC 3692 experimental).
            p.put(0, (byte) 0x45).putShort(2, (short) 100).put(8, (byte) 64).put(9, (byte) 253)
                    .put(12, new byte[] {10, 77, 5, 2}).put(16, new byte[] {10, 77, 4, 2});
            p.putShort(10, Icmp.checksum(p, 0, 20));
            PacketBatch batch = new PacketBatch(32, 2048, true);
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long[] counted = new long[2];
            for (int phase = 0; phase < 2; phase++) { // 0: warm-up for the JIT, 1: measured
                long before = mx.getCurrentThreadAllocatedBytes();
                long received = 0;
                for (int round = 0; round < 500; round++) {
                    for (int i = 0; i < 16; i++) {
                        io.send(p);
                    }
                    long deadline = System.nanoTime() + 2_000_000_000L;
                    long want = (round + 1) * 16L;
                    while (received < want && System.nanoTime() < deadline) {
                        batch.clear();
                        received += io.receive(batch, 100_000_000L);
                    }
                }
                counted[0] = received;
                counted[1] = mx.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(8000, counted[0], "every packet came back through the kernel");
            assertEquals(253, batch.get(0).get(9) & 0xff, "the packets read are ours (protocol 253)");
            assertEquals(63, batch.get(0).get(8) & 0xff, "forwarded once: TTL 64 - 1");
            assertTrue(counted[1] < 8000, "allocated " + counted[1] + " bytes for 8000 packets each way");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"netlink", "ip"})
    void existingPersistentDeviceIsKeptButOurRoutesAndAddressesGo(String netConfig) throws Exception {
        Host.sh("ip -n " + ns + " tuntap add dev jtunp mode tun");
        TunPacketIo io = open(netConfig, config("jtunp", List.of("10.77.1.2", "fd77::2"),
                List.of("10.77.1.1/32", "fd77::1/128")));
        assertFalse(io.device().created());
        assertTrue(Host.sh("ip -n " + ns + " route show").contains("10.77.1.2 dev jtunp"));
        assertTrue(Host.sh("ip -n " + ns + " -6 route show").contains("fd77::2 dev jtunp"));
        String addrs = Host.sh("ip -n " + ns + " addr show dev jtunp");
        assertTrue(addrs.contains("inet 10.77.1.1/32") && addrs.contains("inet6 fd77::1/128"), addrs);
        assertTrue(addrs.contains(",UP") || addrs.contains("<UP"), "brought up: " + addrs);
        io.close();
        io.close();
        assertEquals(0, Host.run("ip", "-n", ns, "link", "show", "jtunp").exitCode(),
                "a persistent device we did not create stays");
        String left = Host.sh("ip -n " + ns + " addr show dev jtunp; ip -n " + ns + " route show table all;"
                + " ip -n " + ns + " -6 route show table all");
        for (String a : List.of("10.77.1.2", "10.77.1.1", "fd77::2", "fd77::1")) {
            assertFalse(left.contains(a), a + " left behind: " + left);
        }
    }

    @Test
    void deviceWithOtherFlagsIsNamedInTheError() {
        Host.sh("ip -n " + ns + " tuntap add dev jtuntap mode tap");
        TunException e = assertThrows(TunException.class,
                () -> TunPacketIo.open(config("jtuntap", List.of("10.77.2.2"), List.of())));
        assertEquals(LibC.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("exists with other flags"), e.getMessage());
    }

    @Test
    void busyDeviceIsNamedInTheError() throws Exception {
        try (TunPacketIo first = TunPacketIo.open(config("jtunb", List.of(), List.of()))) {
            TunException e = assertThrows(TunException.class,
                    () -> Netns.call(ns, () -> TunDevice.open("jtunb")));
            assertEquals(LibC.EBUSY, e.errno());
            assertTrue(e.getMessage().contains("busy"), e.getMessage());
            assertTrue(first.device().created());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"netlink", "ip"})
    void addressInUseIsNamedAndNothingIsLeftBehind(String netConfig) {
        Host.sh("ip -n " + ns + " tuntap add dev jtund mode tun && ip -n " + ns + " link set jtund up && ip -n " + ns + " addr add 10.77.3.1/32 dev jtund"
                + " && ip -n " + ns + " route add 10.77.3.9/32 dev jtund");
        TunException addr = assertThrows(TunException.class,
                () -> open(netConfig, config("jtun3", List.of(), List.of("10.77.3.1/32"))));
        assertTrue(addr.getMessage().contains("already in use") && addr.getMessage().contains("jtund"),
                addr.getMessage());
        TunException local = assertThrows(TunException.class,
                () -> open(netConfig, config("jtun3", List.of("10.77.3.1"), List.of())));
        assertTrue(local.getMessage().contains("10.77.3.1 is already in use"), local.getMessage());
        TunException route = assertThrows(TunException.class,
                () -> open(netConfig, config("jtun3", List.of("10.77.3.5", "10.77.3.9"), List.of())));
        assertTrue(route.getMessage().contains("10.77.3.9 is already in use"), route.getMessage());
        assertTrue(Host.run("ip", "-n", ns, "link", "show", "jtun3").exitCode() != 0,
                "the half-configured device was closed");
        assertFalse(Host.sh("ip -n " + ns + " route show").contains("10.77.3.5"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"netlink", "ip"})
    void routesOfAddressesAddedAtRunTimeComeAndGoAndNoneOutlivesClose(String netConfig) throws Exception {
        // A persistent device we did not create: close() must remove the routes itself.
        Host.sh("ip -n " + ns + " tuntap add dev jtunx mode tun && ip -n " + ns + " tuntap add dev jtunl mode tun"
                + " && ip -n " + ns + " link set jtunl up && ip -n " + ns + " addr add 10.77.6.7/32 dev jtunl");
        TunPacketIo io = open(netConfig, config("jtunx", List.of("10.77.6.1"), List.of()));
        io.addHostRoute("10.77.6.2");
        io.addHostRoute("fd77:6::2");
        assertEquals(List.of("10.77.6.1", "10.77.6.2", "fd77:6::2"), io.hostRoutes());
        String r = Host.sh("ip -n " + ns + " route show; ip -n " + ns + " -6 route show");
        assertTrue(r.contains("10.77.6.2 dev jtunx") && r.contains("fd77:6::2 dev jtunx"), r);
        assertTrue(Host.sh("ip -n " + ns + " route get 10.77.6.2").contains("dev jtunx"));

        TunException twice = assertThrows(TunException.class, () -> io.addHostRoute("10.77.6.2"));
        assertTrue(twice.getMessage().contains("10.77.6.2 is already in use"), twice.getMessage());
        TunException local = assertThrows(TunException.class, () -> io.addHostRoute("10.77.6.7"));
        assertTrue(local.getMessage().contains("local address") && local.getMessage().contains("jtunl"),
                local.getMessage());
        assertEquals(List.of("10.77.6.1", "10.77.6.2", "fd77:6::2"), io.hostRoutes(), "failures add nothing");

        assertTrue(io.removeHostRoute("10.77.6.2"));
        assertFalse(io.removeHostRoute("10.77.6.2"), "not routed any more");
        assertTrue(io.removeHostRoute("10.77.6.1"), "a startup address can go too");
        assertFalse(Host.sh("ip -n " + ns + " route show table all").contains("10.77.6.2"));
        assertFalse(Host.sh("ip -n " + ns + " route show table all").contains("10.77.6.1 "));
        io.addHostRoute("10.77.6.3");
        assertEquals(List.of("fd77:6::2", "10.77.6.3"), io.hostRoutes());

        io.close();
        java.io.IOException closed = assertThrows(java.io.IOException.class, () -> io.addHostRoute("10.77.6.4"));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        String left = Host.sh("ip -n " + ns + " route show table all; ip -n " + ns + " -6 route show table all");
        for (String a : List.of("10.77.6.1", "10.77.6.2", "10.77.6.3", "10.77.6.4", "fd77:6::2")) {
            assertFalse(left.contains(a + " "), a + " left behind: " + left);
        }
    }
}
