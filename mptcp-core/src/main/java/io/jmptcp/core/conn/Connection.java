package io.jmptcp.core.conn;

import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;

/**
 * One connection as the application sees it: a reliable byte stream (RFC 6182 section 2.2.1),
 * carried by one TCP subflow (plain TCP, or MPTCP after fallback) or by several (MPTCP).
 *
 * <p>The event loop drives the network side ({@link #input}, {@link #poll}, {@link #pollAt}); the
 * application side is called by the socket API. Implementations are not thread-safe: the runtime
 * serialises every call to one connection (it holds the stack's lock), and wakes the loop when an
 * application call made the connection want to send.
 */
public interface Connection {

    /** Coarse states an application can wait on. */
    enum State {
        /** Opening: the first subflow's handshake is under way. */
        CONNECTING,
        /** Data can flow (possibly only one way after a half-close). */
        ESTABLISHED,
        /** Closed in both directions; all data delivered and acknowledged. */
        CLOSED,
        /** Failed: refused, reset, timed out or aborted; see {@link #failure()}. */
        FAILED
    }

    // ---- network side: the event loop ---------------------------------------------------------

    /** An inbound segment for the subflow with this 4-tuple (local address first). */
    void input(long nowMicros, FourTuple tuple, Segment segment);

    /** Emits every segment that is due now, on every subflow, each with its 4-tuple. */
    void poll(long nowMicros, SegmentSink out);

    /** The time by which {@link #poll} must run again ({@code TcpConnection.NEVER} if no timer). */
    long pollAt();

    /** The stack gained an address or changed one's flags ({@code before} null when new). */
    default void endpointChanged(long nowMicros, Endpoint before, Endpoint after) {
    }

    /** The stack lost an address. */
    default void endpointRemoved(long nowMicros, Endpoint e) {
    }

    /** True once no subflow holds state any more (TIME_WAIT over): the runtime forgets it. */
    boolean finished();

    // ---- application side ---------------------------------------------------------------------

    /** Takes bytes for sending; returns how many fit in the send buffer (0 when full). */
    int write(byte[] src, int off, int len);

    /** Reads in-order bytes; 0 when none are ready, -1 at end of stream. */
    int read(byte[] dst, int off, int len);

    /** Bytes ready to read. */
    long readable();

    /** Room in the send buffer. */
    long writable();

    /** No more data will be written: FIN (or DATA_FIN) after what is queued. */
    void shutdownOutput();

    /** Graceful close of both directions. */
    void close();

    /** Abortive close: RST, or MP_FASTCLOSE for MPTCP (RFC 8684 section 3.5). */
    void abort();

    State state();

    /** Why the connection failed, or null unless {@link #state()} is {@link State#FAILED}. */
    Failure failure();

    /** A snapshot for status output and tests (like Linux MPTCP_INFO). */
    ConnectionInfo info();
}
