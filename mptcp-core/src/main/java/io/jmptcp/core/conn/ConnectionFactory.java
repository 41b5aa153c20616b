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
