package io.jmptcp.core.engine;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.Connection;

import io.jmptcp.core.cc.CongestionControlFactory;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.tcp.TcpConnection;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Plain TCP connections ({@code --mptcp off}). Each connection's MSS is clamped to the stack's MTU
 * for its address family (RFC 9293 3.7.1). Outgoing connections leave from the first stack address
 * of the remote's family.
 */
public final class PlainConnectionFactory implements ConnectionFactory {
    private final TcpConfig config;

    public PlainConnectionFactory(TcpConfig config) {
        this.config = config.copy();
    }

    public PlainConnectionFactory() {
        this(new TcpConfig());
    }

    private TcpConfig configFor(StackContext ctx, InetAddress remote) {
        return config.copy().pathMtu(ctx.mtu(), remote instanceof Inet6Address);
    }

    @Override
    public Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote) {
        return connect(nowMicros, ctx, remote, ConnectionOptions.DEFAULTS);
    }

    /** Plain TCP takes a congestion control; the MPTCP settings are refused. */
    @Override
    public Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote,
                              ConnectionOptions options) {
        if (options.scheduler() != null || options.maxSubflows() != null || options.checksum() != null) {
            throw new IllegalArgumentException("scheduler, subflow limit and checksum apply to MPTCP only");
        }
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + remote);
        }
        InetAddress dst = remote.getAddress();
        InetAddress local = null;
        for (InetAddress a : ctx.localAddresses()) {
            if (a.getClass() == dst.getClass()) {
                local = a;
                break;
            }
        }
        if (local == null) {
            throw new IllegalArgumentException("the stack has no address of the family of " + dst.getHostAddress());
        }
        int port = ctx.ephemeralPort(local, dst, remote.getPort());
        FourTuple tuple = new FourTuple(local, port, dst, remote.getPort());
        TcpConfig cfg = configFor(ctx, dst);
        if (options.congestionControl() != null) {
            cfg.congestionControl = CongestionControlFactory.byName(options.congestionControl());
        }
        PlainConnection c = new PlainConnection(
                TcpConnection.connect(cfg, tuple, ctx.isn(), ctx.mib(), nowMicros), false);
        ctx.bind(tuple, c);
        return c;
    }

    @Override
    public Accepted accept(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn) {
        return new Accepted(passive(ctx, tuple, ctx.isn().isn(tuple, nowMicros)), true);
    }

    private PlainConnection passive(StackContext ctx, FourTuple tuple, int iss) {
        PlainConnection c = new PlainConnection(TcpConnection.listen(configFor(ctx, tuple.remoteAddress()),
                tuple, iss, ctx.isn().timestampOffset(tuple), ctx.mib()), true);
        ctx.bind(tuple, c);
        return c;
    }

    @Override
    public Connection cookieSyn(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn, int iss, long key) {
        return passive(ctx, tuple, iss);
    }

    @Override
    public Connection cookieAck(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn, int iss, long key) {
        PlainConnection c = passive(ctx, tuple, iss);
        c.input(nowMicros, tuple, syn);
        c.poll(nowMicros, (t, s) -> { }); // the SYN,ACK again: the cookie's went out before
        c.tcp().synAckSentBefore();
        return c;
    }
}
