package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jmptcp.cli.socks.SocksHandler;
import io.jmptcp.cli.status.StatusCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SOCKS front end against local abuse (issue 13, local side): it listens on loopback unless
 * told otherwise; with {@code --socks-auth} an unauthenticated client gets the RFC's refusal and
 * the refusals show in the control socket's counters; slow clients (slowloris) holding half-done
 * handshakes are closed at the handshake deadline however they trickle, and do not keep a
 * legitimate client from connecting meanwhile; oversized and garbage handshakes are closed and
 * counted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@org.junit.jupiter.api.extension.ExtendWith(LeakCheck.class)
class SocksHostileClientsTest {
    @TempDir
    Path dir;
    TwoStacks t;
    Daemon extra;

    @AfterEach
    void stop() {
        if (extra != null) {
            extra.close();
        }
        if (t != null) {
            t.close();
        }
    }

    /** A non-loopback IPv4 address of this host (the test needs one to show what loopback keeps out). */
    static InetAddress nonLoopback() throws IOException {
        for (NetworkInterface i : NetworkInterface.networkInterfaces().toList()) {
            if (!i.isUp() || i.isLoopback()) {
                continue;
            }
            for (InetAddress a : i.inetAddresses().toList()) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a;
                }
            }
        }
        throw new AssertionError("this host has no non-loopback IPv4 address to test the SOCKS bind with");
    }

    /** The daemon's SOCKS config as the command line makes it, on an ephemeral port of the same host. */
    Daemon daemonOn(String... args) throws IOException {
        Daemon.Config c = DaemonCommandTest.parse(args).config();
        InetSocketAddress ephemeral = new InetSocketAddress(c.socks().getAddress(), 0);
        return Daemon.start(t.a, new Daemon.Config(ephemeral, c.socksSettings(), List.of(), null, null, 20_000, 1));
    }

    @Test
    void socksListensOnLoopbackByDefaultAndOnlyWhereToldOtherwise() throws Exception {
        t = new TwoStacks();
        InetAddress outside = nonLoopback();

        extra = daemonOn("--address", "10.9.0.1");
        InetSocketAddress bound = extra.socksAddress();
        assertTrue(bound.getAddress().isLoopbackAddress(), "default SOCKS bind " + bound);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), bound.getPort()), 5_000);
        }
        assertThrows(ConnectException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(outside, bound.getPort()), 5_000);
            }
        }, "the default listener must not be reachable on " + outside.getHostAddress());
        extra.close();

        extra = daemonOn("--address", "10.9.0.1", "--socks", outside.getHostAddress() + ":1080");
        InetSocketAddress there = extra.socksAddress();
        assertEquals(outside, there.getAddress());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(outside, there.getPort()), 5_000);
        }
        assertThrows(ConnectException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), there.getPort()), 5_000);
            }
        }, "--socks " + outside.getHostAddress() + " must not also listen on loopback");
    }

    @Test
    void withSocksAuthUnauthenticatedClientsAreRefusedAndCountedInTheControlSocket() throws Exception {
        Path control = dir.resolve("run/control.sock");
        t = new TwoStacks(new SocksHandler.Settings("alice", "s3cret", 5_000), control, null);
        try (Socket s = client()) { // offers only NO_AUTH: X'FF', then closed
            s.getOutputStream().write(new byte[] {5, 1, 0});
            assertArrayEquals(new byte[] {5, (byte) 0xFF}, SocksLoopbackTest.untilClosed(s));
        }
        try (Socket s = client()) { // offers NO_AUTH and GSSAPI, not username/password
            s.getOutputStream().write(new byte[] {5, 2, 0, 1});
            assertArrayEquals(new byte[] {5, (byte) 0xFF}, SocksLoopbackTest.untilClosed(s));
        }
        try (Socket s = client()) { // the right user, a wrong password
            OutputStream o = s.getOutputStream();
            o.write(new byte[] {5, 1, 2});
            assertArrayEquals(new byte[] {5, 2}, s.getInputStream().readNBytes(2));
            o.write(new byte[] {1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', '3', 'c', 'r', 'e', 'T'});
            byte[] r = SocksLoopbackTest.untilClosed(s);
            assertEquals(2, r.length);
            assertEquals(1, r[0], "RFC 1929 version");
            assertTrue(r[1] != 0, "RFC 1929 failure status");
        }
        try (Socket s = client()) { // no credentials, straight to a request after choosing password
            OutputStream o = s.getOutputStream();
            o.write(new byte[] {5, 1, 2});
            assertArrayEquals(new byte[] {5, 2}, s.getInputStream().readNBytes(2));
            o.write(new byte[] {5, 1, 0, 1, 10, 9, 0, 2, 0, 7});
            byte[] r = SocksLoopbackTest.untilClosed(s);
            assertTrue(r.length == 0 || (r.length == 2 && r[1] != 0), "closed, never connected");
        }
        // the right credentials still work
        try (Socket s = client()) {
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            o.write(new byte[] {5, 1, 2});
            assertArrayEquals(new byte[] {5, 2}, in.readNBytes(2));
            o.write(new byte[] {1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', '3', 'c', 'r', 'e', 't'});
            assertArrayEquals(new byte[] {1, 0}, in.readNBytes(2));
            o.write(new byte[] {5, 1, 0, 1, 10, 9, 0, 2, 0, 7});
            assertEquals(0, in.readNBytes(10)[1], "CONNECT succeeded");
            o.write(new byte[] {'o', 'k'});
            s.shutdownOutput();
            assertArrayEquals(new byte[] {'o', 'k'}, SocksLoopbackTest.untilClosed(s));
        }
        JsonNode counters = new ObjectMapper().readTree(StatusCommand.ask(control, "counters"));
        JsonNode rejected = counters.get("socks_rejected_total");
        assertEquals(2, rejected.path("no_acceptable_method").asLong(), counters.toString());
        assertEquals(1, rejected.path("auth_failed").asLong(), counters.toString());
        assertEquals(4, t.da.stats().rejections().values().stream().mapToLong(Long::longValue).sum(),
                t.da.stats().rejections().toString());
        assertEquals(1, counters.path("socks_connected_total").asLong(), counters.toString());
    }

    Socket client() throws IOException {
        Socket s = new Socket();
        s.connect(t.da.socksAddress(), 5_000);
        s.setSoTimeout(15_000);
        return s;
    }

    @Test
    void slowClientsAreClosedAtTheHandshakeDeadlineAndDoNotStarveALegitimateOne() throws Exception {
        long timeout = 4_000;
        t = new TwoStacks(new SocksHandler.Settings(null, null, timeout), null, null);
        List<Socket> silent = new ArrayList<>();
        List<Socket> tricklers = new ArrayList<>();
        byte[][] partial = {{}, {5}, {5, 1}, {5, 1, 0, 5}, {5, 1, 0, 5, 1, 0, 1, 10, 9}};
        long t0 = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            Socket s = client();
            s.getOutputStream().write(partial[i % partial.length]);
            silent.add(s);
        }
        for (int i = 0; i < 20; i++) {
            tricklers.add(client());
        }
        // each trickler sends a greeting that offers 255 methods, one byte every 100 ms: it is never
        // idle, and the whole greeting would take 26 s
        Thread trickle = new Thread(() -> {
            byte[] greeting = new byte[257];
            greeting[0] = 5;
            greeting[1] = (byte) 255;
            for (int k = 0; k < greeting.length; k++) {
                boolean anyOpen = false;
                for (Socket s : tricklers) {
                    try {
                        s.getOutputStream().write(greeting[k]);
                        anyOpen = true;
                    } catch (IOException closed) {
                        // the daemon closed it: the point
                    }
                }
                if (!anyOpen) {
                    return;
                }
                try {
                    Thread.sleep(100); // the trickle's pace, not a wait for a condition
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "trickle");
        trickle.setDaemon(true);
        trickle.start();

        byte[] data = new byte[64 * 1024];
        new SplittableRandom(5).nextBytes(data);
        CompletableFuture<byte[]> legit = TestPeers.socksEcho(t.peers, t.da.socksAddress(), TwoStacks.ECHO, data);
        assertArrayEquals(TestPeers.sha256().digest(data), legit.get(30, TimeUnit.SECONDS));
        long legitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(0, t.da.stats().rejected("handshake_timeout"),
                "the legitimate client finished after " + legitMs + " ms, while the slow ones still held on");

        List<Socket> all = new ArrayList<>(silent);
        all.addAll(tricklers);
        for (Socket s : all) {
            s.setSoTimeout((int) (timeout + 10_000));
            InputStream in = s.getInputStream();
            try {
                while (in.read() >= 0) {
                    // a reply to a complete greeting, if any: read on to the close
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("a slow client was not closed at the handshake deadline", e);
            } catch (IOException reset) {
                // closed with unread bytes: a reset, still closed
            }
        }
        long closedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        trickle.interrupt();
        trickle.join(5_000);
        assertTrue(closedMs >= timeout - 200, "closed at the deadline, not before: " + closedMs + " ms");
        assertTrue(closedMs < timeout + 8_000, "the tricklers' activity must not extend the deadline: " + closedMs + " ms");
        assertEquals(220, t.da.stats().rejected("handshake_timeout"), t.da.stats().rejections().toString());
        for (Socket s : all) {
            s.close();
        }
    }

    @Test
    void oversizedAndGarbageHandshakesAreClosedAndCounted() throws Exception {
        t = new TwoStacks(new SocksHandler.Settings(null, null, 5_000), null, null);
        SplittableRandom r = new SplittableRandom(13);
        int sent = 0;
        for (int i = 0; i < 20; i++) {
            byte[] junk = new byte[1 << 18];
            r.nextBytes(junk);
            switch (i % 4) {
                case 0 -> junk[0] = (byte) (6 + r.nextInt(250)); // not SOCKS 5
                case 1 -> { // a greeting offering every method, then junk as the request
                    junk[0] = 5;
                    junk[1] = (byte) 255;
                    for (int k = 2; k < 257; k++) {
                        junk[k] = (byte) (k - 2);
                    }
                    junk[257] = 4; // the request's version: not 5
                }
                case 2 -> { // a request for a 255-byte name of random bytes
                    byte[] head = {5, 1, 0, 5, 1, 0, 3, (byte) 255};
                    System.arraycopy(head, 0, junk, 0, head.length);
                }
                default -> { // a request whose address type is unknown
                    byte[] head = {5, 1, 0, 5, 1, 0, (byte) 0x7f};
                    System.arraycopy(head, 0, junk, 0, head.length);
                }
            }
            try (Socket s = client()) {
                try {
                    s.getOutputStream().write(junk);
                } catch (IOException closedUnderUs) {
                    // the daemon closed while we still wrote
                }
                try {
                    SocksLoopbackTest.untilClosed(s);
                } catch (IOException reset) {
                    // closed with our bytes unread: a reset
                }
            }
            sent++;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (total() < sent && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(sent, total(), t.da.stats().rejections().toString());
        assertEquals(0, t.da.stats().rejected("handshake_timeout"), "closed at once, not at the deadline");
        assertEquals(0, t.da.stats().get("socks_connected_total"));
        // and the daemon still serves
        byte[] data = {1, 2, 3};
        assertArrayEquals(TestPeers.sha256().digest(data),
                TestPeers.socksEcho(t.peers, t.da.socksAddress(), TwoStacks.ECHO, data).get(30, TimeUnit.SECONDS));
    }

    long total() {
        return t.da.stats().rejections().values().stream().mapToLong(Long::longValue).sum();
    }
}
