package io.jmptcp.cli.daemon;

import io.jmptcp.cli.control.AddressControl;
import io.jmptcp.cli.control.ControlServer;
import io.jmptcp.cli.control.StackAddresses;
import io.jmptcp.cli.control.StatusReport;
import io.jmptcp.cli.forward.ForwardSpec;
import io.jmptcp.cli.forward.Forwarder;
import io.jmptcp.cli.metrics.MetricsServer;
import io.jmptcp.cli.socks.SocksHandler;
import io.jmptcp.cli.socks.SocksServer;
import io.jmptcp.cli.socks.StackUpstream;
import io.jmptcp.cli.socks.Upstream;
import io.jmptcp.core.runtime.Stack;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon on a started {@link Stack}: the SOCKS listener, the forwarders, the control
 * socket and the metrics endpoint, all on one small Netty event loop group. The thread count is
 * fixed: {@code threads} event loops, at most two resolver threads, the stack's loop, and one each
 * for metrics.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    /** Everything the daemon is asked to run. */
    public record Config(InetSocketAddress socks, SocksHandler.Settings socksSettings, List<ForwardSpec> forwards,
                         Path control, InetSocketAddress metrics, long connectTimeoutMillis, int threads) {
    }

    private final Stack stack;
    private final DaemonStats stats = new DaemonStats();
    private final Relays relays = new Relays();
    private final EventLoopGroup group;
    private final ThreadPoolExecutor resolver;
    private final List<AutoCloseable> listeners = new ArrayList<>();
    private final List<AutoCloseable> services = new ArrayList<>();
    private SocksServer socks;
    private MetricsServer metrics;

    private Daemon(Stack stack, int threads) {
        this.stack = stack;
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("jmptcp-io", true),
                NioIoHandler.newFactory());
        this.resolver = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1024),
                new DefaultThreadFactory("jmptcp-dns", true), new ThreadPoolExecutor.AbortPolicy());
        this.resolver.allowCoreThreadTimeOut(true);
    }

    /**
     * Starts every configured service; on failure, closes what started and rethrows. The control
     * socket's {@code addr} commands change the stack's addresses without routes (an in-memory
     * link); a daemon on a TUN device passes its {@link AddressControl} to
     * {@link #start(Stack, AddressControl, Config, Upstream)}.
     */
    public static Daemon start(Stack stack, Config c) throws IOException {
        return start(stack, StackAddresses.of(stack), c, null);
    }

    /** As {@link #start(Stack, Config)} with another upstream for SOCKS (tests). */
    public static Daemon start(Stack stack, Config c, Upstream upstreamOverride) throws IOException {
        return start(stack, StackAddresses.of(stack), c, upstreamOverride);
    }

    /**
     * @param addresses        what the control socket's {@code addr} commands change
     * @param upstreamOverride another upstream for SOCKS (tests), or null for the stack
     */
    public static Daemon start(Stack stack, AddressControl addresses, Config c, Upstream upstreamOverride)
            throws IOException {
        Daemon d = new Daemon(stack, c.threads());
        try {
            Upstream up = upstreamOverride != null ? upstreamOverride
                    : new StackUpstream(stack, d.resolver, c.connectTimeoutMillis());
            if (c.socks() != null) {
                d.socks = SocksServer.bind(d.group, c.socks(), c.socksSettings(), up, d.stats, d.relays);
                d.listeners.add(d.socks);
                LOG.info("SOCKS5 on {}{}", d.socks.localAddress(), c.socksSettings().authRequired()
                        ? " (username/password required)" : "");
            }
            for (ForwardSpec f : c.forwards()) {
                d.listeners.add(new Forwarder(stack, f, d.group, d.stats, d.relays));
            }
            if (c.control() != null) {
                d.services.add(ControlServer.bind(d.group, c.control(), d::report, addresses));
            }
            if (c.metrics() != null) {
                d.metrics = MetricsServer.start(c.metrics(), stack, d.stats);
                d.services.add(d.metrics);
                LOG.info("metrics on http://{}/metrics", d.metrics.address());
            }
            return d;
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        } catch (InterruptedException e) {
            d.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting", e);
        }
    }

    public StatusReport report() {
        return StatusReport.of(stack, stats);
    }

    public DaemonStats stats() {
        return stats;
    }

    /** The SOCKS listener's address (with the port chosen when 0 was asked), or null. */
    public InetSocketAddress socksAddress() {
        return socks == null ? null : socks.localAddress();
    }

    public InetSocketAddress metricsAddress() {
        return metrics == null ? null : metrics.address();
    }

    Relays relaysForSignals() {
        return relays;
    }

    public int activeRelays() {
        return relays.size();
    }

    /**
     * SIGTERM: stop accepting, end every relay's output to the stack (DATA_FIN) and let the other
     * direction finish; after {@code timeoutMillis} abort what is left. Returns whether all drained.
     */
    public boolean drain(long timeoutMillis) throws InterruptedException {
        closeAll(listeners);
        int n = relays.size();
        LOG.info("draining {} relay(s), at most {} ms", n, timeoutMillis);
        relays.drainAll();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (relays.size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        boolean clean = relays.size() == 0;
        if (!clean) {
            LOG.warn("drain timed out: aborting {} relay(s)", relays.size());
            relays.abortAll();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (relays.size() > 0 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
        } else {
            LOG.info("drained {} relay(s)", n);
        }
        return clean;
    }

    private static void closeAll(List<AutoCloseable> list) {
        for (AutoCloseable c : list) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c, e.toString());
            }
        }
        list.clear();
    }

    /** Stops everything the daemon started (not the stack). */
    @Override
    public void close() {
        closeAll(listeners);
        closeAll(services);
        relays.abortAll();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        resolver.shutdownNow();
        LOG.info("daemon counters: {}; socks rejected: {}", stats.counters(), stats.rejections());
    }
}
