package io.jmptcp.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.tcp.TcpConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The blocking ({@link MptcpSocket}) and the non-blocking ({@link AsyncConnection}) API behave the
 * same on failures and closes: each case runs against both. The peer is a blocking server socket.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketApiBehaviourTest {
    private static final int PORT = 7100;
    private Stack a;
    private Stack b;
    private MptcpServerSocket server;

    /** The client side, one connection, through one of the two APIs. */
    interface Client {
        /** Reads once; blocking until something happened (the async side polls its non-blocking read). */
        int read(byte[] dst) throws IOException;

        /** Writes all of {@code src}. */
        void write(byte[] src) throws IOException;

        void shutdownOutput() throws IOException;

        void close();

        void abort();

        Connection.State state();

        Failure failure();

        /** Bytes received and not read yet. */
        long readable() throws IOException;
    }

    /** How to open a {@link Client} with one API. */
    interface Api {
        Client connect(Stack stack, InetSocketAddress remote) throws IOException;

        /** Connects where the handshake fails and returns the failure as that API reports it. */
        Failure failedConnect(Stack stack, InetSocketAddress remote) throws Exception;
    }

    static final Api BLOCKING = new Api() {
        @Override
        public Client connect(Stack stack, InetSocketAddress remote) throws IOException {
            MptcpSocket s = new MptcpSocket(stack);
            s.connect(remote);
            return new Client() {
                public int read(byte[] dst) throws IOException {
                    return s.getInputStream().read(dst);
                }

                public void write(byte[] src) throws IOException {
                    s.getOutputStream().write(src);
                }

                public void shutdownOutput() throws IOException {
                    s.shutdownOutput();
                }

                public void close() {
                    s.close();
                }

                public void abort() {
                    s.abort();
                }

                public Connection.State state() {
                    return s.state();
                }

                public Failure failure() {
                    return s.failure();
                }

                public long readable() throws IOException {
                    return s.getInputStream().available();
                }
            };
        }

        @Override
        public Failure failedConnect(Stack stack, InetSocketAddress remote) {
            ConnectFailedException e = assertThrows(ConnectFailedException.class,
                    () -> new MptcpSocket(stack).connect(remote));
            return e.failure();
        }

        @Override
        public String toString() {
            return "MptcpSocket";
        }
    };

    static final Api ASYNC = new Api() {
        @Override
        public Client connect(Stack stack, InetSocketAddress remote) throws IOException {
            AsyncConnection c = AsyncConnection.connect(stack, remote, () -> { });
            await(() -> c.state() != Connection.State.CONNECTING, "the handshake");
            return new Client() {
                public int read(byte[] dst) throws IOException {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (true) {
                        int n = c.read(dst, 0, dst.length); // throws on a failure
                        if (n != 0 || System.nanoTime() > deadline) {
                            return n;
                        }
                        pause();
                    }
                }

                public void write(byte[] src) throws IOException {
                    int done = 0;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (done < src.length && System.nanoTime() < deadline) {
                        int n = c.write(src, done, src.length - done); // throws on a failure
                        done += n;
                        if (n == 0) {
                            pause();
                        }
                    }
                    assertEquals(src.length, done, "written in time");
                }

                public void shutdownOutput() {
                    c.shutdownOutput();
                }

                public void close() {
                    c.close();
                }

                public void abort() {
                    c.abort();
                }

                public Connection.State state() {
                    return c.state();
                }

                public Failure failure() {
                    return c.failure();
                }

                public long readable() {
                    return c.readable();
                }
            };
        }

        @Override
        public Failure failedConnect(Stack stack, InetSocketAddress remote) throws Exception {
            AsyncConnection c = AsyncConnection.connect(stack, remote, () -> { });
            await(() -> c.failure() != null, "the handshake to fail");
            // Reading a connection whose handshake failed throws the same failure.
            ConnectionFailedException e = assertThrows(ConnectionFailedException.class,
                    () -> c.read(new byte[1], 0, 1));
            assertEquals(c.failure(), e.failure());
            return c.failure();
        }

        @Override
        public String toString() {
            return "AsyncConnection";
        }
    };

    static Stream<Api> apis() {
        return Stream.of(BLOCKING, ASYNC);
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void await(java.util.function.BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            pause();
        }
    }

    private void start(TcpConfig cfg) throws IOException {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 256);
        a = new Stack(link[0], new PlainConnectionFactory(cfg), List.of(StackTest.A)).start();
        b = new Stack(link[1], new PlainConnectionFactory(cfg), List.of(StackTest.B)).start();
        server = new MptcpServerSocket(b, PORT);
    }

    /** A connected pair: the client through {@code api}, the accepted server socket. */
    private MptcpSocket pair(Api api, Client[] client) throws IOException {
        start(new TcpConfig());
        client[0] = api.connect(a, new InetSocketAddress(StackTest.B, PORT));
        return server.accept();
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void readAfterThePeerResetThrowsReset(Api api) throws Exception {
        Client[] c = new Client[1];
        MptcpSocket s = pair(api, c);
        s.getOutputStream().write(new byte[] {1, 2, 3});
        byte[] got = new byte[3];
        assertEquals(3, c[0].read(got));
        assertArrayEquals(new byte[] {1, 2, 3}, got);
        assertNull(c[0].failure(), "healthy");
        s.abort();
        ConnectionFailedException e = assertThrows(ConnectionFailedException.class, () -> c[0].read(new byte[10]));
        assertEquals(Failure.Kind.RESET, e.kind());
        assertEquals("connection reset by peer", e.getMessage());
        assertEquals(Connection.State.FAILED, c[0].state());
        assertEquals(Failure.Kind.RESET, c[0].failure().kind());
        // And again: a failed connection stays failed, it never turns into end of stream.
        assertEquals(Failure.Kind.RESET,
                assertThrows(ConnectionFailedException.class, () -> c[0].read(new byte[10])).kind());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void bytesThatArrivedBeforeTheResetAreReadFirst(Api api) throws Exception {
        Client[] c = new Client[1];
        MptcpSocket s = pair(api, c);
        s.getOutputStream().write(new byte[] {7, 8});
        await(() -> {
            try {
                return c[0].readable() == 2;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "the bytes to arrive"); // an abort discards what is not sent yet
        s.abort();
        await(() -> c[0].state() == Connection.State.FAILED, "the reset");
        byte[] got = new byte[10];
        assertEquals(2, c[0].read(got));
        assertArrayEquals(new byte[] {7, 8}, Arrays.copyOf(got, 2));
        assertEquals(Failure.Kind.RESET,
                assertThrows(ConnectionFailedException.class, () -> c[0].read(got)).kind());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void writeAfterAFailureThrowsTheFailure(Api api) throws Exception {
        Client[] c = new Client[1];
        MptcpSocket s = pair(api, c);
        s.abort();
        await(() -> c[0].state() == Connection.State.FAILED, "the reset");
        ConnectionFailedException e = assertThrows(ConnectionFailedException.class,
                () -> c[0].write(new byte[] {1}));
        assertEquals(Failure.Kind.RESET, e.kind());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void readAtACleanEndOfStreamReturnsMinusOneEveryTime(Api api) throws Exception {
        Client[] c = new Client[1];
        MptcpSocket s = pair(api, c);
        s.getOutputStream().write(new byte[] {5});
        s.shutdownOutput();
        byte[] got = new byte[10];
        assertEquals(1, c[0].read(got));
        assertEquals(-1, c[0].read(got));
        assertEquals(-1, c[0].read(got));
        assertNull(c[0].failure(), "end of stream is no failure");
        // Half-closed: writing goes on.
        c[0].write(new byte[] {6});
        assertEquals(6, s.getInputStream().read());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void closeTwiceIsHarmlessAndUseAfterCloseIsSocketClosed(Api api) throws Exception {
        Client[] c = new Client[1];
        MptcpSocket s = pair(api, c);
        c[0].close();
        c[0].close();
        SocketException r = assertThrows(SocketException.class, () -> c[0].read(new byte[1]));
        assertEquals("socket closed", r.getMessage());
        assertFalse(r instanceof ConnectionFailedException, "a local close is no connection failure");
        assertEquals("socket closed",
                assertThrows(SocketException.class, () -> c[0].write(new byte[1])).getMessage());
        assertEquals(-1, s.getInputStream().read(), "the peer saw our FIN");
        c[0].abort(); // after close: still harmless
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void writeAfterShutdownOutputIsRefused(Api api) throws Exception {
        Client[] c = new Client[1];
        MptcpSocket s = pair(api, c);
        c[0].shutdownOutput();
        c[0].shutdownOutput();
        assertEquals("socket output is shut down",
                assertThrows(SocketException.class, () -> c[0].write(new byte[1])).getMessage());
        assertEquals(-1, s.getInputStream().read());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void closingTheStackFailsTheConnectionWithStackStopped(Api api) throws Exception {
        Client[] c = new Client[1];
        pair(api, c);
        a.close();
        ConnectionFailedException e = assertThrows(ConnectionFailedException.class, () -> c[0].read(new byte[1]));
        assertEquals(Failure.Kind.STACK_STOPPED, e.kind());
        assertEquals("the stack was closed", e.getMessage());
        assertEquals(Failure.Kind.STACK_STOPPED,
                assertThrows(ConnectionFailedException.class, () -> c[0].write(new byte[1])).kind());
        assertEquals(Failure.Kind.STACK_STOPPED, c[0].failure().kind());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void aClosedPortIsRefused(Api api) throws Exception {
        start(new TcpConfig());
        Failure f = api.failedConnect(a, new InetSocketAddress(StackTest.B, PORT + 1));
        assertEquals(Failure.Kind.REFUSED, f.kind());
        assertEquals("connection refused", f.detail());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apis")
    void aSilentPeerTimesOut(Api api) throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 64); // nobody on the other end
        a = new Stack(link[0], new PlainConnectionFactory(new TcpConfig().synRetries(0)), List.of(StackTest.A))
                .start();
        Failure f = api.failedConnect(a, new InetSocketAddress(StackTest.B, PORT));
        assertEquals(Failure.Kind.TIMEOUT, f.kind());
        assertEquals("connection timed out (no answer to the SYN)", f.detail());
    }
}
