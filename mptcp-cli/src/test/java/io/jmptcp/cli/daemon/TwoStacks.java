package io.jmptcp.cli.daemon;

import io.jmptcp.cli.forward.ForwardSpec;
import io.jmptcp.cli.socks.SocksHandler;
import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.runtime.Stack;
import io.jmptcp.core.tcp.TcpConfig;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture without root: daemon A (SOCKS on 127.0.0.1, ephemeral port) on stack A, an
 * in-memory link, daemon B on stack B forwarding port 7 to a kernel-TCP echo server on loopback.
 */
public final class TwoStacks implements AutoCloseable {
    public static final InetAddress A = addr("10.9.0.1");
    public static final InetAddress B = addr("10.9.0.2");
    /** The echo service as seen through SOCKS. */
    public static final InetSocketAddress ECHO = new InetSocketAddress(B, 7);
    /** A service that reads everything and never answers nor closes. */
    public static final InetSocketAddress HOLD = new InetSocketAddress(B, 9);

    public final Stack a;
    public final Stack b;
    public final Daemon da;
    public final Daemon db;
    public final EventLoopGroup peers;
    public final Channel echo;
    public final Channel hold;

    public TwoStacks(SocksHandler.Settings socks, Path control, InetSocketAddress metrics) throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 1 << 16);
        a = new Stack(ends[0], new PlainConnectionFactory(new TcpConfig()), List.of(A)).start();
        b = new Stack(ends[1], new PlainConnectionFactory(new TcpConfig()), List.of(B)).start();
        peers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        echo = TestPeers.echoServer(peers, new InetSocketAddress("127.0.0.1", 0));
        int echoPort = ((InetSocketAddress) echo.localAddress()).getPort();
        hold = TestPeers.holdServer(peers, new InetSocketAddress("127.0.0.1", 0));
        int holdPort = ((InetSocketAddress) hold.localAddress()).getPort();
        da = Daemon.start(a, new Daemon.Config(new InetSocketAddress("127.0.0.1", 0), socks, List.of(), control,
                metrics, 20_000, 2));
        db = Daemon.start(b, new Daemon.Config(null, null, List.of(ForwardSpec.parse("7=127.0.0.1:" + echoPort),
                ForwardSpec.parse("9=127.0.0.1:" + holdPort)),
                null, null, 20_000, 2));
    }

    public TwoStacks() throws Exception {
        this(new SocksHandler.Settings(null, null, 10_000), null, null);
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        da.close();
        db.close();
        a.close();
        b.close();
        echo.close();
        hold.close();
        peers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
