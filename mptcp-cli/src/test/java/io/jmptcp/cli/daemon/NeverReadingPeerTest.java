package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.forward.ForwardSpec;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnectionFactory;
import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.runtime.Stack;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer that never reads (issue 13, faults): a SOCKS client writes as fast as it can through
 * daemon A, MPTCP over an in-memory link, daemon B's forwarder, to a kernel TCP server that
 * accepts and never reads. Every buffer on the way fills and pushes back, down to the client's
 * own socket: the client's writes stop, and what it got in is bounded by the buffers (the
 * connection-level send and receive buffers, 4 MiB each, and the kernel's socket buffers), not
 * by how long it keeps trying. Then the server reads, and every byte arrives in order.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@org.junit.jupiter.api.extension.ExtendWith(LeakCheck.class)
class NeverReadingPeerTest {
    static final InetAddress A = TwoStacks.addr("10.9.1.1");
    static final InetAddress B = TwoStacks.addr("10.9.1.2");
    /** Far more than every buffer on the way together. */
    static final long BOUND = 40L << 20;

    static byte at(long i) {
        return (byte) (i * 31 + (i >>> 11));
    }

    @Test
    void theSenderIsHeldBackAndDoesNotGrowWithoutBound() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 1 << 16);
        Stack a = new Stack(ends[0], new MptcpConnectionFactory(new MptcpConfig()), List.of(A)).start();
        Stack b = new Stack(ends[1], new MptcpConnectionFactory(new MptcpConfig()), List.of(B)).start();
        Daemon da = null;
        Daemon db = null;
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(64 * 1024);
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            da = Daemon.start(a, new Daemon.Config(new InetSocketAddress("127.0.0.1", 0),
                    new io.jmptcp.cli.socks.SocksHandler.Settings(null, null, 10_000), List.of(), null, null, 20_000, 2));
            db = Daemon.start(b, new Daemon.Config(null, null, List.of(ForwardSpec.parse("5=127.0.0.1:" + server.getLocalPort())),
                    null, null, 20_000, 2));
            try (Socket c = new Socket()) {
                c.connect(da.socksAddress(), 5_000);
                c.setSoTimeout(10_000);
                OutputStream o = c.getOutputStream();
                InputStream in = c.getInputStream();
                byte[] addr = B.getAddress();
                o.write(new byte[] {5, 1, 0, 5, 1, 0, 1, addr[0], addr[1], addr[2], addr[3], 0, 5});
                assertEquals(2, in.readNBytes(2).length);
                byte[] reply = in.readNBytes(10);
                assertEquals(0, reply[1], "CONNECT succeeded");
                Socket accepted = server.accept(); // and never read, for now
                AtomicLong written = new AtomicLong();
                Thread writer = new Thread(() -> {
                    byte[] buf = new byte[64 * 1024];
                    try {
                        while (written.get() < 4 * BOUND) {
                            long w = written.get();
                            for (int i = 0; i < buf.length; i++) {
                                buf[i] = at(w + i);
                            }
                            o.write(buf);
                            written.addAndGet(buf.length);
                        }
                    } catch (IOException e) {
                        // closed at the end of the test
                    }
                }, "writer");
                writer.setDaemon(true);
                writer.start();
                // wait until the writes have stopped: no progress for 2 s
                long last = -1;
                long stillSince = System.nanoTime();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && written.get() < 4 * BOUND) {
                    long w = written.get();
                    if (w != last) {
                        last = w;
                        stillSince = System.nanoTime();
                    } else if (System.nanoTime() - stillSince > TimeUnit.SECONDS.toNanos(2)) {
                        break;
                    }
                    Thread.sleep(50);
                }
                long held = written.get();
                System.out.printf("a peer that never reads: the client got %d KiB in before its writes stopped%n", held >> 10);
                assertTrue(held < BOUND, "the client got " + held + " bytes in against a peer that never reads");
                assertTrue(held > 4 << 20, "the buffers did fill: " + held);
                // now the peer reads: everything arrives, in order, and the writer resumes
                InputStream pin = accepted.getInputStream();
                byte[] buf = new byte[64 * 1024];
                long got = 0;
                long want = held + (8 << 20);
                while (got < want) {
                    int n = pin.read(buf);
                    assertTrue(n > 0, "the stream ended early at " + got);
                    for (int i = 0; i < n; i++) {
                        if (buf[i] != at(got + i)) {
                            throw new AssertionError("byte " + (got + i) + " differs");
                        }
                    }
                    got += n;
                }
                assertTrue(written.get() > held, "the writer resumed once the peer read");
                accepted.close();
            }
        } finally {
            if (da != null) {
                da.close();
            }
            if (db != null) {
                db.close();
            }
            a.close();
            b.close();
        }
    }
}
