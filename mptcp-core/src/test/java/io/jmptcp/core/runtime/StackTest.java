package io.jmptcp.core.runtime;

import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.PacketParse;
import io.jmptcp.core.wire.TcpHeader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two stacks joined by an in-memory link: sockets, demultiplexing, RSTs and input checks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StackTest {
    static final InetAddress A = addr("10.0.0.1");
    static final InetAddress B = addr("10.0.0.2");

    private Stack a;
    private Stack b;

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void start(PacketIo ioA, PacketIo ioB) {
        start(ioA, ioB, false);
    }

    private void start(PacketIo ioA, PacketIo ioB, boolean senderThread) {
        a = new Stack(ioA, new PlainConnectionFactory(new TcpConfig()), List.of(A), senderThread).start();
        b = new Stack(ioB, new PlainConnectionFactory(new TcpConfig()), List.of(B), senderThread).start();
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

    private static byte[] random(int n, long seed) {
        byte[] d = new byte[n];
        new SplittableRandom(seed).nextBytes(d);
        return d;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private static CompletableFuture<Void> writeAndShut(MptcpSocket s, byte[] data) {
        return CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = s.getOutputStream();
                for (int off = 0; off < data.length; off += 50_000) {
                    out.write(data, off, Math.min(50_000, data.length - off));
                }
                s.shutdownOutput();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void bothWaysIntactAndCleanClose() throws Exception {
        bothWays(false);
    }

    @Test
    void bothWaysWithSenderThreads() throws Exception {
        bothWays(true);
    }

    private void bothWays(boolean senderThread) throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 4096);
        start(link[0], link[1], senderThread);
        byte[] up = random(3 << 20, 1);
        byte[] down = random(2 << 20, 2);
        MptcpServerSocket server = new MptcpServerSocket(b, 5000);
        CompletableFuture<byte[]> serverSide = CompletableFuture.supplyAsync(() -> {
            try {
                MptcpSocket s = server.accept();
                CompletableFuture<Void> w = writeAndShut(s, down);
                byte[] got = readAll(s.getInputStream());
                w.get();
                assertTrue(s.awaitClosed(10_000));
                return got;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        MptcpSocket c = new MptcpSocket(a);
        c.connect(new InetSocketAddress(B, 5000));
        assertEquals(Connection.State.ESTABLISHED, c.state());
        CompletableFuture<Void> w = writeAndShut(c, up);
        byte[] got = readAll(c.getInputStream());
        w.get();
        assertTrue(c.awaitClosed(10_000), "client closed in both directions");
        assertArrayEquals(sha(down), sha(got));
        assertArrayEquals(sha(up), sha(serverSide.get()));
        ConnectionInfo info = c.info();
        assertEquals(up.length, info.bytesSent());
        assertEquals(down.length, info.bytesReceived());
        assertEquals(1, info.subflows().size());
        server.close();
    }

    /**
     * A connection whose code throws is reset and counted; the loop goes on and the other
     * connection transfers both ways intact.
     */
    @Test
    void aThrowingConnectionIsResetAndTheLoopGoesOn() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 4096);
        io.jmptcp.core.testutil.FaultyFactory.Faulty[] faulty = {null};
        a = new Stack(link[0], new PlainConnectionFactory(new TcpConfig()), List.of(A)).start();
        b = new Stack(link[1], new io.jmptcp.core.testutil.FaultyFactory(new PlainConnectionFactory(new TcpConfig()),
                1, 10, false, f -> faulty[0] = f), List.of(B)).start();
        MptcpServerSocket server = new MptcpServerSocket(b, 5000);
        MptcpSocket bad = new MptcpSocket(a);
        bad.connect(new InetSocketAddress(B, 5000));
        MptcpSocket badPeer = server.accept();
        MptcpSocket good = new MptcpSocket(a);
        good.connect(new InetSocketAddress(B, 5000));
        MptcpSocket goodPeer = server.accept();

        byte[] up = random(1 << 20, 3);
        byte[] down = random(1 << 20, 4);
        CompletableFuture<Void> badWrite = writeAndShut(bad, random(1 << 20, 5));
        CompletableFuture<Void> w1 = writeAndShut(good, up);
        CompletableFuture<Void> w2 = writeAndShut(goodPeer, down);
        CompletableFuture<byte[]> serverGot = CompletableFuture.supplyAsync(() -> {
            try {
                return readAll(goodPeer.getInputStream());
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        byte[] clientGot = readAll(good.getInputStream());
        w1.get();
        w2.get();
        assertArrayEquals(sha(up), sha(serverGot.get()));
        assertArrayEquals(sha(down), sha(clientGot));

        assertThrows(IOException.class, () -> readAll(bad.getInputStream()), "the faulty connection was reset");
        badWrite.handle((v, e) -> null).get(); // done or failed: its bytes may all fit the send buffer
        assertEquals(Connection.State.FAILED, bad.state());
        assertEquals(10, faulty[0].inputs, "no input after it threw");
        assertEquals(1, b.counter(StackCounter.CONNECTION_ERRORS));
        assertTrue(b.isRunning(), "the loop survived");
        badPeer.close();
        server.close();
    }

    @Test
    void closedPortIsRefusedWithRst() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 64);
        start(link[0], link[1]);
        MptcpSocket c = new MptcpSocket(a);
        ConnectFailedException e = assertThrows(ConnectFailedException.class,
                () -> c.connect(new InetSocketAddress(B, 7)));
        assertEquals(Failure.Kind.REFUSED, e.kind());
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        assertEquals(1, b.counter(StackCounter.OUT_RSTS));
        assertEquals(1, b.counter(StackCounter.NO_CONNECTION));
    }

    @Test
    void connectTimesOutAtTheCallersDeadline() throws Exception {
        // A peer that never answers: the connect times out at the caller's deadline.
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 64);
        a = new Stack(link[0], new PlainConnectionFactory(), List.of(A)).start();
        MptcpSocket c = new MptcpSocket(a);
        assertThrows(java.net.SocketTimeoutException.class,
                () -> c.connect(new InetSocketAddress(B, 80), 300));
    }

    /** Raw packets into a stack: bad checksums, foreign destinations and RSTs are dropped, not answered. */
    @Test
    void badInputIsDroppedAndCounted() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 64);
        b = new Stack(link[1], new PlainConnectionFactory(), List.of(B)).start();
        MemoryPacketIo raw = link[0];
        ByteBuffer p = ByteBuffer.allocate(1500);
        TcpHeader syn = new TcpHeader(40000, 9, 1000, 0, TcpHeader.SYN, 65535, 0, 0, List.of());
        // 1. A SYN to a closed port: answered with RST/ACK, ack = seq + 1.
        int n = IpPacketCodec.emit(p, 0, A, B, 64, syn, ByteBuffer.allocate(0), 0, 0);
        raw.send(p.duplicate().limit(n));
        PacketBatch in = new PacketBatch(4, 1500, false);
        assertEquals(1, raw.receive(in, TimeUnit.SECONDS.toNanos(5)));
        PacketParse.Tcp rst = (PacketParse.Tcp) IpPacketCodec.parse(in.get(0), 0, in.get(0).limit());
        assertTrue(rst.tcpChecksumValid());
        assertEquals(TcpHeader.RST | TcpHeader.ACK, rst.header().flags());
        assertEquals(1001, rst.header().ack());
        assertEquals(9, rst.header().srcPort());
        in.clear();
        // 2. The same SYN with a broken TCP checksum, 3. to an address the stack does not own,
        // 4. a RST to a closed port, 5. garbage: none is answered.
        ByteBuffer bad = p.duplicate().limit(n);
        bad.put(n - 1, (byte) (bad.get(n - 1) ^ 1)); // last byte of the TCP header
        raw.send(bad);
        n = IpPacketCodec.emit(p, 0, A, addr("10.0.0.99"), 64, syn, ByteBuffer.allocate(0), 0, 0);
        raw.send(p.duplicate().limit(n));
        TcpHeader rstIn = new TcpHeader(40000, 9, 1000, 0, TcpHeader.RST, 0, 0, 0, List.of());
        n = IpPacketCodec.emit(p, 0, A, B, 64, rstIn, ByteBuffer.allocate(0), 0, 0);
        raw.send(p.duplicate().limit(n));
        raw.send(ByteBuffer.wrap(new byte[] {0x45, 0, 0}));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (b.counter(StackCounter.IN_PACKETS) < 5 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(5, b.counter(StackCounter.IN_PACKETS));
        assertEquals(1, b.counter(StackCounter.DROP_BAD_TCP_CHECKSUM));
        assertEquals(1, b.counter(StackCounter.DROP_NOT_LOCAL));
        assertEquals(1, b.counter(StackCounter.DROP_REJECTED));
        assertEquals(2, b.counter(StackCounter.NO_CONNECTION));
        assertEquals(1, b.counter(StackCounter.OUT_RSTS), "no RST in answer to a RST");
        assertEquals(0, raw.receive(in, 0), "nothing else was sent");
    }

    /** A read blocked on {@code s}, completing with what it read or the error message it got. */
    private static CompletableFuture<String> blockedRead(MptcpSocket s) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return "read " + s.getInputStream().read(new byte[10]);
            } catch (IOException e) {
                return e.getMessage();
            }
        });
    }

    @Test
    void blockedReaderSeesResetAndStackClose() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 256);
        start(link[0], link[1]);
        MptcpServerSocket server = new MptcpServerSocket(b, 5001);
        MptcpSocket c = new MptcpSocket(a);
        c.connect(new InetSocketAddress(B, 5001));
        MptcpSocket s = server.accept();
        // The server aborts: the client's blocked read ends with "connection reset by peer".
        CompletableFuture<String> read = blockedRead(c);
        s.abort();
        assertEquals("connection reset by peer", read.get(10, TimeUnit.SECONDS));
        assertEquals(Connection.State.FAILED, c.state());
        // A second pair: closing the stack fails a blocked read instead of leaving it hanging.
        MptcpSocket c2 = new MptcpSocket(a);
        c2.connect(new InetSocketAddress(B, 5001));
        CompletableFuture<String> read2 = blockedRead(c2);
        a.close(); // whether the reader blocked first or not, it ends with the same error
        assertEquals("the stack was closed", read2.get(10, TimeUnit.SECONDS));
        server.close();
    }

    @Test
    void closingTheStackResetsItsPeers() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 256);
        start(link[0], link[1]);
        MptcpServerSocket server = new MptcpServerSocket(b, 5002);
        MptcpSocket c = new MptcpSocket(a);
        c.connect(new InetSocketAddress(B, 5002));
        MptcpSocket s = server.accept();
        CompletableFuture<String> read = blockedRead(s);
        a.close(); // the client's host goes away with the connection open
        assertEquals("connection reset by peer", read.get(10, TimeUnit.SECONDS));
        assertEquals(1, a.counter(StackCounter.ABORTED_ON_CLOSE));
        server.close();
    }

    @Test
    void ipv6BothWays() throws Exception {
        InetAddress a6 = addr("fd00::1");
        InetAddress b6 = addr("fd00::2");
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 4096);
        a = new Stack(link[0], new PlainConnectionFactory(), List.of(A, a6)).start();
        b = new Stack(link[1], new PlainConnectionFactory(), List.of(b6)).start();
        MptcpServerSocket server = new MptcpServerSocket(b, 6000);
        byte[] up = random(300_000, 3);
        CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
            try {
                MptcpSocket s = server.accept();
                byte[] d = readAll(s.getInputStream());
                s.close();
                return d;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        MptcpSocket c = new MptcpSocket(a);
        c.connect(new InetSocketAddress(b6, 6000));
        assertTrue(c.info().local().startsWith("fd00:0:0:0:0:0:0:1:"), c.info().local());
        writeAndShut(c, up).get();
        assertEquals(-1, c.getInputStream().read());
        assertArrayEquals(sha(up), sha(got.get(30, TimeUnit.SECONDS)));
        assertTrue(c.awaitClosed(10_000));
        server.close();
    }

    /** The SYN announces the MTU minus the IP and TCP headers (RFC 9293 3.7.1), per family. */
    @Test
    void synMssIsClampedToTheMtu() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1280, 64);
        InetAddress a6 = addr("fd00::1");
        a = new Stack(link[0], new PlainConnectionFactory(), List.of(A, a6)).start();
        PacketBatch in = new PacketBatch(4, 1500, false);
        int[] expected = {1280 - 40, 1280 - 60};
        InetAddress[] remotes = {B, addr("fd00::2")};
        for (int i = 0; i < 2; i++) {
            InetSocketAddress remote = new InetSocketAddress(remotes[i], 80);
            CompletableFuture.runAsync(() -> {
                try {
                    new MptcpSocket(a).connect(remote, 2_000);
                } catch (IOException expectedTimeout) {
                    // nobody answers: only the SYN matters here
                }
            });
            in.clear();
            assertTrue(link[1].receive(in, TimeUnit.SECONDS.toNanos(5)) >= 1);
            PacketParse.Tcp syn = (PacketParse.Tcp) IpPacketCodec.parse(in.get(0), 0, in.get(0).limit());
            assertEquals(TcpHeader.SYN, syn.header().flags());
            var mss = io.jmptcp.core.wire.TcpOptionCodec.first(syn.header().options(),
                    io.jmptcp.core.wire.TcpOption.Mss.class);
            assertEquals(expected[i], mss.mss(), "MSS for " + remotes[i]);
        }
    }

    static byte[] sha(byte[] d) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(d);
    }
}
