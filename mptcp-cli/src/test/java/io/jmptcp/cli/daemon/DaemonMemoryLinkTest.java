package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
@org.junit.jupiter.api.extension.ExtendWith(io.jmptcp.cli.daemon.LeakCheck.class)
class DaemonMemoryLinkTest {
    TwoStacks t;

    @AfterEach
    void stop() {
        if (t != null) {
            t.close();
        }
    }

    static long jmptcpThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("jmptcp")).count();
    }

    @Test
    void manyConcurrentSocksConnectionsThroughTwoStacksEchoIntactWithBoundedThreads() throws Exception {
        t = new TwoStacks();
        Daemon da = t.da;
        Daemon db = t.db;
        int n = Integer.getInteger("jmptcp.test.connections", 1000);
        int size = 64 * 1024;
        List<byte[]> expected = new ArrayList<>();
        List<CompletableFuture<byte[]>> got = new ArrayList<>();
        long maxThreads = 0;
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[size];
            new SplittableRandom(i).nextBytes(data);
            expected.add(TestPeers.sha256().digest(data));
            got.add(TestPeers.socksEcho(t.peers, da.socksAddress(), TwoStacks.ECHO, data));
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
