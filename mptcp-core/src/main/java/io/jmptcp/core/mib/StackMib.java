package io.jmptcp.core.mib;

/**
 * The packet engine's counters (packets before and after the connections), one comment each. Read
 * via {@link Mib}; the runtime shows them as {@code StackCounter}s.
 */
public enum StackMib {
    /** IP packets handed to the engine. */
    IN_PACKETS,
    /** IP packets the engine encoded for sending. */
    OUT_PACKETS,
    /** Drop: not a parseable TCP segment (truncated, fragment, not TCP, bad header). */
    DROP_REJECTED,
    /** Drop: bad IPv4 header checksum. */
    DROP_BAD_IP_CHECKSUM,
    /** Drop: bad TCP checksum. */
    DROP_BAD_TCP_CHECKSUM,
    /** Drop: the destination is not one of the stack's addresses. */
    DROP_NOT_LOCAL,
    /** Drop: a SYN for a listener whose accept queue is full. */
    DROP_ACCEPT_QUEUE_FULL,
    /**
     * Half-open connections aborted to make room for a new SYN: at the connection limit, or when
     * the listener's SYN queue was full and the factory makes no SYN cookies (Linux counts the
     * SYN it drops instead as TcpExt TCPReqQFullDrop).
     */
    HALF_OPEN_EVICTED,
    /** SYN,ACKs with a SYN cookie, sent for SYNs beyond a listener's half-open bound (TcpExt SyncookiesSent). */
    SYN_COOKIES_SENT,
    /** ACKs that brought a valid SYN cookie back and made a connection (TcpExt SyncookiesRecv). */
    SYN_COOKIES_RECV,
    /** ACKs for a listener, while cookies were out, whose cookie was not valid (TcpExt SyncookiesFailed). */
    SYN_COOKIES_FAILED,
    /** Segments for no connection and no listener (answered with a RST unless they are RSTs). */
    NO_CONNECTION,
    /** RSTs the engine sent for segments that belong to no connection (RFC 9293 3.10.7.1). */
    OUT_RSTS,
    /** SYNs the connection factory refused (answered with a RST). */
    ACCEPT_REFUSED,
    /**
     * SYNs for a new connection refused with a RST because the engine already held its most
     * connections ({@link io.jmptcp.core.engine.Engine#maxConnections(int)}) and no half-open one
     * could make room.
     */
    CONNECTION_LIMIT_REFUSED,
    /** Connections opened (active and passive). */
    CONNECTIONS_OPENED,
    /** Connections forgotten once finished. */
    CONNECTIONS_FINISHED,
    /** Connections still open when the stack was closed, aborted (RST or MP_FASTCLOSE). */
    ABORTED_ON_CLOSE,
    /** Connections reset and dropped because their own code threw while the engine drove them. */
    CONNECTION_ERRORS
}
