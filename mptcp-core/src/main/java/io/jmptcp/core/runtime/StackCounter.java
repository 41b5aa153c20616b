package io.jmptcp.core.runtime;

import io.jmptcp.core.mib.StackMib;

/**
 * The stack's own counters (packets before and after the connections), one comment each. The
 * engine keeps them ({@link StackMib}); this is their name in the runtime's API.
 */
public enum StackCounter {
    /** IP packets read from the PacketIo. */
    IN_PACKETS(StackMib.IN_PACKETS),
    /** IP packets written to the PacketIo. */
    OUT_PACKETS(StackMib.OUT_PACKETS),
    /** Drop: not a parseable TCP segment (truncated, fragment, not TCP, bad header). */
    DROP_REJECTED(StackMib.DROP_REJECTED),
    /** Drop: bad IPv4 header checksum. */
    DROP_BAD_IP_CHECKSUM(StackMib.DROP_BAD_IP_CHECKSUM),
    /** Drop: bad TCP checksum. */
    DROP_BAD_TCP_CHECKSUM(StackMib.DROP_BAD_TCP_CHECKSUM),
    /** Drop: the destination is not one of the stack's addresses. */
    DROP_NOT_LOCAL(StackMib.DROP_NOT_LOCAL),
    /** Drop: a SYN for a listener whose accept queue is full. */
    DROP_ACCEPT_QUEUE_FULL(StackMib.DROP_ACCEPT_QUEUE_FULL),
    /** Half-open connections aborted to make room for a new SYN (connection limit, or a full SYN queue without cookies). */
    HALF_OPEN_EVICTED(StackMib.HALF_OPEN_EVICTED),
    /** SYN,ACKs with a SYN cookie (a listener's SYN queue was full). */
    SYN_COOKIES_SENT(StackMib.SYN_COOKIES_SENT),
    /** Valid SYN cookies brought back: connections made from them. */
    SYN_COOKIES_RECV(StackMib.SYN_COOKIES_RECV),
    /** ACKs whose SYN cookie was not valid (answered with a RST). */
    SYN_COOKIES_FAILED(StackMib.SYN_COOKIES_FAILED),
    /** Segments for no connection and no listener (answered with a RST unless they are RSTs). */
    NO_CONNECTION(StackMib.NO_CONNECTION),
    /** RSTs the runtime sent for segments that belong to no connection (RFC 9293 3.10.7.1). */
    OUT_RSTS(StackMib.OUT_RSTS),
    /** SYNs the connection factory refused (answered with a RST). */
    ACCEPT_REFUSED(StackMib.ACCEPT_REFUSED),
    /** Connections opened (active and passive). */
    CONNECTIONS_OPENED(StackMib.CONNECTIONS_OPENED),
    /** Connections forgotten once finished. */
    CONNECTIONS_FINISHED(StackMib.CONNECTIONS_FINISHED),
    /** Connections still open when the stack was closed, aborted (RST or MP_FASTCLOSE). */
    ABORTED_ON_CLOSE(StackMib.ABORTED_ON_CLOSE),
    /** Connections reset and dropped because their own code threw (the others go on). */
    CONNECTION_ERRORS(StackMib.CONNECTION_ERRORS);

    private final StackMib mib;

    StackCounter(StackMib mib) {
        this.mib = mib;
    }

    /** The engine counter behind this one. */
    public StackMib mib() {
        return mib;
    }
}
