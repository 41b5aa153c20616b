package io.jmptcp.core.conn;

import io.jmptcp.core.tcp.TcpError;
import java.util.Objects;

/**
 * Why a connection failed: a {@link Kind} to act on (a SOCKS reply code, a retry decision) and a
 * human-readable {@code detail} for logs and status ("connection refused", "connection timed out
 * (no answer to the SYN)", ...). {@link #toString()} is the detail.
 */
public record Failure(Kind kind, String detail) {

    /** What happened, coarse enough to act on. */
    public enum Kind {
        /** A RST answered our SYN: nobody listens on the port (RFC 9293 3.10.7.3). */
        REFUSED,
        /** The peer reset the connection (RST on the only or on every subflow). */
        RESET,
        /** The peer reset the MPTCP connection with MP_FASTCLOSE (RFC 8684 section 3.5). */
        FASTCLOSE,
        /** No answer in time: SYN retries, data retransmissions or keepalive probes ran out. */
        TIMEOUT,
        /** The local side gave up on it: abort(), or close() before the handshake completed. */
        ABORTED,
        /**
         * The stack reset its only subflow because the peer broke the MPTCP protocol (a DSS
         * mapping that does not match, a checksum failure where fallback is no longer possible).
         */
        PROTOCOL_ERROR,
        /** The stack was closed, never started, or its event loop died (runtime only). */
        STACK_STOPPED
    }

    public Failure {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }

    /** The failure a TCP engine error amounts to, with the customary message. */
    public static Failure of(TcpError e) {
        return switch (e) {
            case CONNECTION_REFUSED -> new Failure(Kind.REFUSED, "connection refused");
            case CONNECTION_RESET -> new Failure(Kind.RESET, "connection reset by peer");
            case SYN_RETRIES_EXCEEDED -> new Failure(Kind.TIMEOUT, "connection timed out (no answer to the SYN)");
            case RETRANSMISSION_TIMEOUT -> new Failure(Kind.TIMEOUT, "connection timed out (data unacknowledged)");
            case KEEPALIVE_TIMEOUT -> new Failure(Kind.TIMEOUT, "connection timed out (keepalive)");
            case ABORTED -> new Failure(Kind.ABORTED, "connection aborted");
        };
    }

    @Override
    public String toString() {
        return detail;
    }
}
