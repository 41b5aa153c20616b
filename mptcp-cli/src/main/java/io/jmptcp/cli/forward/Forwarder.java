package io.jmptcp.cli.forward;

import io.jmptcp.cli.daemon.Bridge;
import io.jmptcp.cli.daemon.DaemonStats;
import io.jmptcp.cli.daemon.Relays;
import io.jmptcp.cli.daemon.StackEndpoint;
import io.jmptcp.core.runtime.AsyncConnection;
import io.jmptcp.core.runtime.AsyncListener;
import io.jmptcp.core.runtime.Stack;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --forward PORT=HOST:PORT}: accepts connections on the stack's addresses at PORT (MPTCP,
 * or TCP from a peer without it) and relays each to HOST:PORT over the kernel's TCP. Until the
 * kernel connection is up, the stack connection is not read, so its window closes on the client.
 * A refused or failed kernel connect resets the stack connection.
 */
public final class Forwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    /** The outbound channel's pipeline is the bridge's alone; until then it holds nothing. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Nothing extends ChannelInboundHandlerAdapter {
    }

    private static final Nothing NOTHING = new Nothing();

    private final ForwardSpec spec;
    private final InetSocketAddress target;
    private final Bootstrap bootstrap;
    private final DaemonStats stats;
    private final Relays relays;
    private final AsyncListener listener;

    public Forwarder(Stack stack, ForwardSpec spec, EventLoopGroup group, DaemonStats stats, Relays relays)
            throws IOException {
        this.spec = spec;
        this.target = spec.resolve();
        this.stats = stats;
        this.relays = relays;
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(NOTHING);
        this.listener = new AsyncListener(stack, spec.port(), 1024, this::accepted);
        LOG.info("forwarding stack port {} to {}", spec.port(), target);
    }

    /** Loop thread, stack lock held: must not block. */
    private void accepted(AsyncConnection c) {
        stats.inc("forward_accepted_total");
        StackEndpoint ep = new StackEndpoint(c);
        String label = "forward " + c.info().remote() + " -> " + spec;
        ChannelFuture f = bootstrap.connect(target);
        f.addListener(done -> {
            if (!done.isSuccess()) {
                stats.inc("forward_connect_failed_total");
                LOG.info("{}: cannot reach {}: {}; resetting", label, target, done.cause().toString());
                ep.abort();
                return;
            }
            Bridge b = new Bridge(f.channel(), ep, stats, label, relays::remove);
            relays.add(b);
            b.start(List.of(), false);
        });
    }

    /** Stops accepting; running relays go on. */
    @Override
    public void close() {
        listener.close();
    }
}
