package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.socks.SocksHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad SOCKS clients on real loopback sockets while good ones keep moving data: each gets its reply
 * or a clean close, is counted by reason, and no good connection is disturbed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@org.junit.jupiter.api.extension.ExtendWith(io.jmptcp.cli.daemon.LeakCheck.class)
class SocksLoopbackTest {
    TwoStacks t;

    @AfterEach
    void stop() {
        if (t != null) {
            t.close();
        }
    }

    Socket client() throws IOException {
        Socket s = new Socket();
        s.connect(t.da.socksAddress(), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** Everything the server sends until it closes (fails the test if it does not close). */
    static byte[] untilClosed(Socket s) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] b = new byte[4096];
        int n;
        while ((n = in.read(b)) >= 0) {
            o.write(b, 0, n);
        }
        return o.toByteArray();
    }

    static byte[] domainRequest(int cmd, String name) {
        byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {5, (byte) cmd, 0, 3, (byte) n.length});
        o.writeBytes(n);
        o.writeBytes(new byte[] {0, 80});
        return o.toByteArray();
    }

    @Test
    void badClientsAreAnsweredOrClosedCountedAndGoodOnesAreUndisturbed() throws Exception {
        // 2 s: the well-formed clients below finish their handshakes well before it even on a loaded
        // machine (at 500 ms the truncated one was once counted as a timeout, with a soak running)
        t = new TwoStacks(new SocksHandler.Settings(null, null, 2000), null, null);
        List<CompletableFuture<byte[]>> good = new ArrayList<>();
        List<byte[]> want = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] data = new byte[256 * 1024];
            new SplittableRandom(i).nextBytes(data);
            want.add(TestPeers.sha256().digest(data));
            good.add(TestPeers.socksEcho(t.peers, t.da.socksAddress(), TwoStacks.ECHO, data));
        }

        try (Socket s = client()) { // a wrong version: closed without a reply
            s.getOutputStream().write(new byte[] {4, 1, 0, 80, 10, 9, 0, 2, 0});
            assertEquals(0, untilClosed(s).length);
        }
        try (Socket s = client()) { // a truncated request, then the client closes its side
            OutputStream o = s.getOutputStream();
            o.write(new byte[] {5, 1, 0});
            assertEquals(5, s.getInputStream().read());
            assertEquals(0, s.getInputStream().read());
            o.write(new byte[] {5, 1, 0, 1, 10});
            s.shutdownOutput();
            assertEquals(0, untilClosed(s).length);
        }
        try (Socket s = client()) { // BIND
            s.getOutputStream().write(new byte[] {5, 1, 0, 5, 2, 0, 1, 10, 9, 0, 2, 0, 80});
            byte[] r = untilClosed(s);
            assertEquals(12, r.length);
            assertEquals(7, r[3], "command not supported");
        }
        try (Socket s = client()) { // UDP ASSOCIATE
            s.getOutputStream().write(new byte[] {5, 1, 0, 5, 3, 0, 1, 10, 9, 0, 2, 0, 80});
            assertEquals(7, untilClosed(s)[3]);
        }
        try (Socket s = client()) { // an oversized domain name
            s.getOutputStream().write(new byte[] {5, 1, 0});
            s.getOutputStream().write(domainRequest(1, "a".repeat(255)));
            byte[] r = untilClosed(s);
            assertEquals(4, r[3], "host unreachable");
        }
        long t0 = System.nanoTime();
        try (Socket s = client()) { // stalls mid-handshake
            s.getOutputStream().write(new byte[] {5, 1});
            assertEquals(0, untilClosed(s).length);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 1_900 && ms < 8_000, "closed at the 2 s handshake timeout, took " + ms);
        }
        try (Socket s = client()) { // a megabyte of garbage
            byte[] junk = new byte[1 << 20];
            new SplittableRandom(99).nextBytes(junk);
            junk[0] = 9;
            try {
                s.getOutputStream().write(junk);
            } catch (IOException closedUnderUs) {
                // the daemon closed while we were still writing: also clean
            }
            try {
                untilClosed(s);
            } catch (IOException reset) {
                // unread junk makes the kernel reset the connection: still closed
            }
        }

        for (int i = 0; i < good.size(); i++) {
            assertArrayEquals(want.get(i), good.get(i).get(60, TimeUnit.SECONDS), "good connection " + i);
        }
        DaemonStats st = t.da.stats();
        assertEquals(2, st.rejected("bad_version"), st.rejections().toString());
        assertEquals(1, st.rejected("truncated"), st.rejections().toString());
        assertEquals(2, st.rejected("command_unsupported"), st.rejections().toString());
        assertEquals(1, st.rejected("bad_domain"), st.rejections().toString());
        assertEquals(1, st.rejected("handshake_timeout"), st.rejections().toString());
        assertEquals(50, st.get("socks_connected_total"));
    }

    @Test
    void failedAuthenticationIsRefusedAndTheRightPasswordWorks() throws Exception {
        t = new TwoStacks(new SocksHandler.Settings("alice", "s3cret", 5_000), null, null);
        try (Socket s = client()) {
            OutputStream o = s.getOutputStream();
            o.write(new byte[] {5, 1, 2});
            InputStream in = s.getInputStream();
            assertArrayEquals(new byte[] {5, 2}, in.readNBytes(2));
            o.write(new byte[] {1, 5, 'a', 'l', 'i', 'c', 'e', 5, 'w', 'r', 'o', 'n', 'g'});
            byte[] r = untilClosed(s);
            assertEquals(2, r.length);
            assertTrue(r[1] != 0, "RFC 1929 failure status");
        }
        try (Socket s = client()) {
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            o.write(new byte[] {5, 1, 2});
            assertArrayEquals(new byte[] {5, 2}, in.readNBytes(2));
            o.write(new byte[] {1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', '3', 'c', 'r', 'e', 't'});
            assertArrayEquals(new byte[] {1, 0}, in.readNBytes(2));
            o.write(new byte[] {5, 1, 0, 1, 10, 9, 0, 2, 0, 7});
            byte[] reply = in.readNBytes(10);
            assertEquals(0, reply[1], "CONNECT succeeded");
            o.write("ping".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            assertArrayEquals("ping".getBytes(StandardCharsets.US_ASCII), untilClosed(s));
        }
        assertEquals(1, t.da.stats().rejected("auth_failed"));
    }

    @Test
    void clientsBeyondTheCapAreClosedAndCountedAndTheCapFreesUp() throws Exception {
        t = new TwoStacks(new SocksHandler.Settings(null, null, 10_000, 2), null, null);
        try (Socket a = client(); Socket b = client()) {
            a.getOutputStream().write(new byte[] {5, 1, 0});
            assertArrayEquals(new byte[] {5, 0}, a.getInputStream().readNBytes(2));
            b.getOutputStream().write(new byte[] {5, 1, 0});
            assertArrayEquals(new byte[] {5, 0}, b.getInputStream().readNBytes(2));
            try (Socket c = client()) {
                assertEquals(0, untilClosed(c).length, "the third client is closed at once");
            }
            assertEquals(1, t.da.stats().rejected("too_many_clients"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        byte[] reply = new byte[0];
        while (System.nanoTime() < deadline) { // the two slots free up once their channels closed
            try (Socket d = client()) {
                d.getOutputStream().write(new byte[] {5, 1, 0});
                reply = d.getInputStream().readNBytes(2);
                if (reply.length == 2) {
                    break;
                }
            }
            Thread.sleep(20);
        }
        assertArrayEquals(new byte[] {5, 0}, reply);
    }

    @Test
    void refusedPortMapsToConnectionRefused() throws Exception {
        t = new TwoStacks();
        try (Socket s = client()) {
            s.getOutputStream().write(new byte[] {5, 1, 0, 5, 1, 0, 1, 10, 9, 0, 2, 0, 11}); // nobody on port 11
            byte[] r = untilClosed(s);
            assertEquals(12, r.length);
            assertEquals(5, r[3], "connection refused");
        }
        try (Socket s = client()) { // the stack has no IPv6 address
            byte[] req = new byte[3 + 22];
            req[0] = 5;
            req[1] = 1;
            req[3] = 5;
            req[4] = 1;
            req[6] = 4;
            req[7] = 0x20;
            req[8] = 0x01;
            req[22] = 1;
            req[24] = 80;
            s.getOutputStream().write(req);
            assertEquals(3, untilClosed(s)[3], "network unreachable");
        }
        try (Socket s = client()) { // a name that does not resolve
            s.getOutputStream().write(new byte[] {5, 1, 0});
            s.getOutputStream().write(domainRequest(1, "no-such-host.invalid"));
            assertEquals(4, untilClosed(s)[3], "host unreachable");
        }
    }
}
