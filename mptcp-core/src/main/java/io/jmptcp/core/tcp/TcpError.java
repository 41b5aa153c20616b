package io.jmptcp.core.tcp;

/** Why a connection ended abnormally. */
public enum TcpError {
    /** A RST answered our SYN (RFC 9293 3.10.7.3): nobody listens on the port. */
    CONNECTION_REFUSED,
    /** The peer reset an established connection (RFC 9293 3.10.7.4, RFC 5961 3.2). */
    CONNECTION_RESET,
    /** The SYN (or SYN-ACK) was retransmitted {@code synRetries} times without an answer. */
    SYN_RETRIES_EXCEEDED,
    /** Data went unacknowledged for {@code maxRetries} retransmission timeouts (RFC 9293 3.8.3, R2). */
    RETRANSMISSION_TIMEOUT,
    /** Keepalive probes went unanswered (RFC 9293 3.8.4). */
    KEEPALIVE_TIMEOUT,
    /** The local application aborted the connection. */
    ABORTED
}
