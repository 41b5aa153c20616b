package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.forward.ForwardSpec;
import io.jmptcp.cli.socks.SocksHandler;
import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.runtime.PlainConnectionFactory;
import io.jmptcp.core.runtime.Stack;
import io.jmptcp.core.tcp.TcpConfig;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two daemons on two stacks joined by an in-memory link, in one JVM, no root: a SOCKS client on
 * loopback, daemon A's SOCKS front end and stack, the link, daemon B's forwarder to a kernel-TCP
 * echo server on loopback. Everything between the client and the echo server is the code under test.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DaemonMemoryLinkTest {
    static final InetAddress A = addr("10.9.0.1");
    static final InetAddress B = addr("10.9.0.2");

    Stack a;
    Stack b;
    Daemon da;
    Daemon db;
    EventLoopGroup peers;
    Channel echo;

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    void start() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 1 << 16);
        a = new Stack(ends[0], new PlainConnectionFactory(new TcpConfig()), List.of(A)).start();
        b = new Stack(ends[1], new PlainConnectionFactory(new TcpConfig()), List.of(B)).start();
        peers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        echo = TestPeers.echoServer(peers, new InetSocketAddress("127.0.0.1", 0));
        int echoPort = ((InetSocketAddress) echo.localAddress()).getPort();
        da = Daemon.start(a, new Daemon.Config(new InetSocketAddress("127.0.0.1", 0),
                new SocksHandler.Settings(null, null, 10_000), List.of(), null, null, 20_000, 2));
        db = Daemon.start(b, new Daemon.Config(null, null,
                List.of(ForwardSpec.parse("7=127.0.0.1:" + echoPort)), null, null, 20_000, 2));
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {da, db}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (echo != null) {
            echo.close();
        }
        if (peers != null) {
            peers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    static long jmptcpThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("jmptcp")).count();
    }

    @Test
    void manyConcurrentSocksConnectionsThroughTwoStacksEchoIntactWithBoundedThreads() throws Exception {
        start();
        int n = Integer.getInteger("jmptcp.test.connections", 1000);
        int size = 64 * 1024;
        List<byte[]> expected = new ArrayList<>();
        List<CompletableFuture<byte[]>> got = new ArrayList<>();
        long maxThreads = 0;
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[size];
            new SplittableRandom(i).nextBytes(data);
            expected.add(TestPeers.sha256().digest(data));
            got.add(TestPeers.socksEcho(peers, da.socksAddress(), new InetSocketAddress(B, 7), data));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
        while (!got.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < deadline) {
            maxThreads = Math.max(maxThreads, jmptcpThreads());
            Thread.sleep(50);
        }
        int ok = 0;
        for (int i = 0; i < n; i++) {
            assertTrue(got.get(i).isDone(), "connection " + i + " did not finish");
            assertArrayEquals(expected.get(i), got.get(i).get(), "connection " + i);
            ok++;
        }
        assertEquals(n, ok);
        assertTrue(maxThreads <= 16, "daemon threads stay bounded, saw " + maxThreads);
        assertEquals((long) n, da.stats().get("socks_connected_total"));
        assertEquals((long) n, db.stats().get("forward_accepted_total"));
        long deadline2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((da.activeRelays() > 0 || db.activeRelays() > 0) && System.nanoTime() < deadline2) {
            Thread.sleep(20);
        }
        assertEquals(0, da.activeRelays());
        assertEquals(0, db.activeRelays());
        System.out.println("connections " + n + ", max jmptcp threads " + maxThreads);
    }
}
