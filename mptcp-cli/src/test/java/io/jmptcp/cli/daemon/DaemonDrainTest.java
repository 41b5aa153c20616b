package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SIGTERM drain of {@link Daemon#drain}: stop accepting, FIN upstream, finish or abort at the timeout. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DaemonDrainTest {
    TwoStacks t;

    @AfterEach
    void stop() {
        if (t != null) {
            t.close();
        }
    }

    static void await(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    Socket connect(InetSocketAddress target) throws IOException {
        Socket s = new Socket("127.0.0.1", t.da.socksAddress().getPort());
        s.setSoTimeout(20_000);
        byte[] a = target.getAddress().getAddress();
        s.getOutputStream().write(new byte[] {5, 1, 0, 5, 1, 0, 1, a[0], a[1], a[2], a[3], 0, (byte) target.getPort()});
        assertEquals(12, s.getInputStream().readNBytes(12).length);
        return s;
    }

    static byte[] untilEof(InputStream in) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        in.transferTo(o);
        return o.toByteArray();
    }

    @Test
    void drainEndsTheUpstreamOutputAndLetsTheRestArriveThenStopsAccepting() throws Exception {
        t = new TwoStacks();
        int socksPort = t.da.socksAddress().getPort();
        try (Socket s = connect(TwoStacks.ECHO)) {
            byte[] data = new byte[300_000];
            s.getOutputStream().write(data);
            await(() -> t.da.activeRelays() == 1, "the relay");
            // The client has not closed its side: the drain does it for the upstream (FIN), the
            // echo server answers with the rest and its own FIN, and the client reads to EOF.
            assertTrue(t.da.drain(10_000), "drained in time");
            assertArrayEquals(data, untilEof(s.getInputStream()));
            assertEquals(0, t.da.activeRelays());
        }
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", socksPort).close(), "no longer accepting");
    }

    @Test
    void aClientStillSendingDuringTheDrainIsNotCutShort() throws Exception {
        t = new TwoStacks();
        try (Socket s = connect(TwoStacks.ECHO)) {
            byte[] chunk = new byte[50_000];
            java.util.concurrent.CompletableFuture<Void> writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 20; i++) {
                        s.getOutputStream().write(chunk);
                        Thread.sleep(100); // pauses shorter than the drain's quiet time
                    }
                    s.shutdownOutput();
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            java.util.concurrent.CompletableFuture<byte[]> reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return untilEof(s.getInputStream());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            await(() -> t.da.activeRelays() == 1, "the relay");
            assertTrue(t.da.drain(20_000), "drained in time");
            writer.get(10, TimeUnit.SECONDS);
            assertEquals(20 * chunk.length, reader.get(10, TimeUnit.SECONDS).length, "every byte echoed");
        }
    }

    @Test
    void aRelayThatDoesNotFinishIsAbortedAtTheDrainTimeout() throws Exception {
        t = new TwoStacks();
        try (Socket s = connect(TwoStacks.HOLD)) {
            s.getOutputStream().write(new byte[1000]);
            await(() -> t.da.activeRelays() == 1, "the relay");
            long t0 = System.nanoTime();
            assertFalse(t.da.drain(300), "the held relay cannot drain");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 300 && ms < 5_000, "gave up at the timeout, took " + ms);
            assertEquals(0, t.da.activeRelays());
            try {
                assertEquals(-1, s.getInputStream().read(), "the client's connection is closed");
            } catch (java.net.SocketException reset) {
                // an abort resets: also closed
            }
        }
    }
}
