package io.jmptcp.cli.socks;

import io.jmptcp.cli.daemon.DaemonStats;
import io.jmptcp.cli.daemon.Relays;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SOCKS5 listener: a Netty server whose every child gets the codec and a {@link SocksHandler};
 * beyond {@link SocksHandler.Settings#maxClients()} at a time, new clients are closed and counted.
 */
public final class SocksServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SocksServer.class);
    private final Channel channel;

    private SocksServer(Channel channel) {
        this.channel = channel;
    }

    /** The pipeline of one client: encoder, the first decoder, the handler (which swaps decoders). */
    public static void initPipeline(ChannelPipeline p, SocksHandler.Settings s, Upstream upstream,
                                    DaemonStats stats, Relays relays) {
        p.addLast("socks-encoder", Socks5ServerEncoder.DEFAULT);
        p.addLast("socks-decoder", new Socks5InitialRequestDecoder());
        p.addLast("socks", new SocksHandler(s, upstream, stats, relays));
    }

    /** Binds {@code address}; throws if it cannot. */
    public static SocksServer bind(EventLoopGroup group, InetSocketAddress address, SocksHandler.Settings s,
                                   Upstream upstream, DaemonStats stats, Relays relays) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    private final AtomicInteger clients = new AtomicInteger();

                    @Override
                    protected void initChannel(SocketChannel ch) {
                        int n = clients.incrementAndGet();
                        ch.closeFuture().addListener(f -> clients.decrementAndGet());
                        if (n > s.maxClients()) {
                            stats.reject("too_many_clients");
                            LOG.warn("socks {}: rejected (too_many_clients): {} clients already", ch.remoteAddress(), s.maxClients());
                            ch.close();
                            return;
                        }
                        initPipeline(ch.pipeline(), s, upstream, stats, relays);
                    }
                });
        Channel ch = b.bind(address).sync().channel();
        return new SocksServer(ch);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops accepting; relays already running go on. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
