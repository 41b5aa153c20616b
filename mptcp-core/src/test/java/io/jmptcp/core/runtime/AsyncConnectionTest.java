package io.jmptcp.core.runtime;

import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.tcp.TcpConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The non-blocking API: everything driven from readiness callbacks on the loop threads. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncConnectionTest {
    private Stack a;
    private Stack b;

    private void start() {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4096);
        a = new Stack(ends[0], new PlainConnectionFactory(new TcpConfig()), List.of(StackTest.A)).start();
        b = new Stack(ends[1], new PlainConnectionFactory(new TcpConfig()), List.of(StackTest.B)).start();
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** An echo server that half-closes after the client's FIN, all in callbacks. */
    private static final class Echo implements Runnable {
        final AsyncConnection c;
        final byte[] buf = new byte[8192];
        int pendingOff;
        int pendingLen;
        boolean shut;

        Echo(AsyncConnection c) {
            this.c = c;
        }

        @Override
        public void run() {
            try {
                echo();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void echo() throws IOException {
            while (true) {
                if (pendingLen > 0) {
                    int w = c.write(buf, pendingOff, pendingLen);
                    pendingOff += w;
                    pendingLen -= w;
                    if (pendingLen > 0) {
                        return; // backpressure: wait for the next readiness
                    }
                }
                int n = c.read(buf, 0, buf.length);
                if (n > 0) {
                    pendingOff = 0;
                    pendingLen = n;
                } else {
                    if (n < 0 && !shut) {
                        shut = true;
                        c.shutdownOutput();
                    }
                    return;
                }
            }
        }
    }

    @Test
    void echoOfAMegabyteDrivenOnlyByCallbacks() throws Exception {
        start();
        new AsyncListener(b, 7, 16, conn -> {
            Echo e = new Echo(conn);
            conn.setReadiness(e);
            e.run();
        });
        byte[] data = new byte[1 << 20];
        new SplittableRandom(7).nextBytes(data);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicReference<AsyncConnection> ref = new AtomicReference<>();
        int[] sent = {0};
        long[] calls = {0};
        Runnable client = () -> {
            AsyncConnection c = ref.get();
            if (c == null) {
                return; // the first round may run before connect() returned
            }
            calls[0]++;
            try {
                pump(c, data, sent, got, done);
            } catch (IOException e) {
                done.completeExceptionally(e);
            }
        };
        ref.set(AsyncConnection.connect(a, new InetSocketAddress(StackTest.B, 7), client));
        // The round that saw the handshake complete may have run before ref was set, and then
        // nothing else would wake the client: run one round now, serialised with the loop's.
        a.lock.lock();
        try {
            client.run();
        } finally {
            a.lock.unlock();
        }
        done.get(30, TimeUnit.SECONDS);
        assertArrayEquals(data, got.toByteArray());
        assertTrue(calls[0] > 1, "the callback drove the transfer");
        assertTrue(ref.get().id() > 0);
    }

    /** One client round: write what fits, half-close when all is queued, read what arrived. */
    private static void pump(AsyncConnection c, byte[] data, int[] sent, ByteArrayOutputStream got,
                             CompletableFuture<Void> done) throws IOException {
        while (sent[0] < data.length) {
            int w = c.write(data, sent[0], Math.min(65536, data.length - sent[0]));
            if (w == 0) {
                break;
            }
            sent[0] += w;
        }
        if (sent[0] == data.length) {
            c.shutdownOutput();
        }
        byte[] in = new byte[8192];
        int n;
        while ((n = c.read(in, 0, in.length)) > 0) {
            got.write(in, 0, n);
        }
        if (n < 0) {
            done.complete(null);
        }
    }

    @Test
    void writeStopsWhenThePeerDoesNotReadAndResumesWhenItDoes() throws Exception {
        start();
        AtomicReference<AsyncConnection> server = new AtomicReference<>();
        new AsyncListener(b, 9, 16, server::set); // accepts, never reads (no readiness)
        AsyncConnection c = AsyncConnection.connect(a, new InetSocketAddress(StackTest.B, 9), () -> { });
        await(() -> c.state() == Connection.State.ESTABLISHED && server.get() != null, "the handshake");
        byte[] chunk = new byte[65536];
        long total = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int zeros = 0;
        while (zeros < 50 && System.nanoTime() < deadline) { // until the windows and buffers are full
            int w = c.write(chunk, 0, chunk.length);
            total += w;
            if (w == 0) {
                zeros++;
                Thread.sleep(20);
            } else {
                zeros = 0;
            }
        }
        assertEquals(50, zeros, "writes must stop being accepted while the peer reads nothing");
        assertTrue(total < 64L << 20, "the sender's buffering is bounded, took " + total);
        long queued = total;
        AsyncConnection s = server.get();
        byte[] in = new byte[65536];
        long[] read = {0};
        await(() -> {
            int n;
            try {
                while ((n = s.read(in, 0, in.length)) > 0) {
                    read[0] += n;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return read[0] == queued;
        }, "every queued byte to arrive once the peer reads");
        assertTrue(c.writable() > 0, "room again after the peer read");
    }

    @Test
    void connectToAClosedPortFailsThroughTheCallback() throws Exception {
        start();
        CompletableFuture<Failure> failure = new CompletableFuture<>();
        AtomicReference<AsyncConnection> ref = new AtomicReference<>();
        ref.set(AsyncConnection.connect(a, new InetSocketAddress(StackTest.B, 1), () -> {
            AsyncConnection c = ref.get();
            if (c != null && c.state() == Connection.State.FAILED) {
                failure.complete(c.failure());
            }
        }));
        Failure f = failure.get(30, TimeUnit.SECONDS);
        assertEquals(Failure.Kind.REFUSED, f.kind());
        assertEquals("connection refused", f.detail());
    }

    @Test
    void closingWhileConnectingIsAborted() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 64); // nobody answers the SYN
        a = new Stack(ends[0], new PlainConnectionFactory(new TcpConfig()), List.of(StackTest.A)).start();
        AsyncConnection c = AsyncConnection.connect(a, new InetSocketAddress(StackTest.B, 13), () -> { });
        assertEquals(Connection.State.CONNECTING, c.state());
        c.close();
        await(() -> c.state() == Connection.State.FAILED, "the attempt to end");
        assertEquals(Failure.Kind.ABORTED, c.failure().kind());
        assertEquals("connection closed before it was established", c.failure().detail());
    }

    @Test
    void stoppingTheStackRunsTheCallbackOnceMore() throws Exception {
        start();
        new AsyncListener(b, 11, 16, conn -> { });
        CompletableFuture<Void> sawStop = new CompletableFuture<>();
        AtomicReference<AsyncConnection> ref = new AtomicReference<>();
        ref.set(AsyncConnection.connect(a, new InetSocketAddress(StackTest.B, 11), () -> {
            AsyncConnection c = ref.get();
            if (c != null && !c.stackRunning()) {
                sawStop.complete(null);
            }
        }));
        await(() -> ref.get().state() == Connection.State.ESTABLISHED, "the handshake");
        a.close();
        sawStop.get(10, TimeUnit.SECONDS);
    }
}
