package io.jmptcp.core.conn;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import java.net.InetSocketAddress;

/**
 * Makes connections for the runtime: plain TCP or MPTCP, by configuration (RFC 6182 section 6.1:
 * applications see the same API either way).
 */
public interface ConnectionFactory {
    /** An active open to {@code remote}; the connection binds its first subflow's 4-tuple. */
    Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote);

    /**
     * An active open with per-connection settings.
     *
     * @throws IllegalArgumentException for a setting this factory cannot honour
     */
    default Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote,
                               ConnectionOptions options) {
        if (!options.isDefault()) {
            throw new IllegalArgumentException("these connections take no per-connection options: " + options);
        }
        return connect(nowMicros, ctx, remote);
    }

    /**
     * A SYN arrived for a listening port and no 4-tuple matched. Returns what it belongs to: a new
     * connection for the listener's accept queue, an existing connection it joins (an MPTCP
     * MP_JOIN; not queued again), or {@link Accepted#REFUSED} (the runtime answers with a RST).
     * The returned connection has bound the SYN's 4-tuple; the runtime then feeds it the SYN.
     */
    Accepted accept(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn);

    /**
     * SYN cookies (RFC 4987 section 3.6; the runtime's {@code SynCookies}), once the listener's
     * half-open bound is reached: the connection {@link #accept} would make for {@code syn}, but
     * with {@code iss} as its initial sequence number and, for MPTCP, {@code key} as its local
     * key, bound to the SYN's 4-tuple. The runtime feeds it the SYN, sends its SYN,ACK and drops
     * it. Null if this SYN takes no cookie (the default: then the runtime evicts its oldest
     * half-open connection instead).
     */
    default Connection cookieSyn(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn, int iss, long key) {
        return null;
    }

    /**
     * The ACK of a cookie's SYN,ACK arrived: the connection of {@link #cookieSyn} made again from
     * {@code syn}, the SYN as the cookie kept it, already past it, with its SYN,ACK counted as
     * sent (no RTT sample: when it went is unknown). The runtime feeds it the ACK. Null if
     * refused (the runtime answers with a RST), for one because another connection has the
     * key's token now.
     */
    default Connection cookieAck(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn, int iss, long key) {
        return null;
    }

    /**
     * The runtime dropped a connection (it finished, or it threw and was reset): nothing of the
     * factory's may lead to it any more (an MPTCP token, for one, must not take a join for it).
     */
    default void forgotten(Connection c) {
    }

    /** The outcome of {@link #accept}. */
    record Accepted(Connection connection, boolean isNew) {
        public static final Accepted REFUSED = new Accepted(null, false);
    }
}
