package io.jmptcp.core.pm;

/** Why a subflow ended, as far as the path manager cares. */
public enum CloseReason {
    /** A clean close: the connection ended, or a FIN from the peer. */
    CLOSED,
    /** Closed on purpose by the path manager or because its address went away (REMOVE_ADDR). */
    REMOVED,
    /** The peer or a middlebox reset it (or its handshake was refused). */
    RESET,
    /**
     * The peer refused it by policy (MP_TCPRST "administratively prohibited": a limit, the C
     * flag): asked again only at the longest re-creation interval, in case a limit frees up.
     */
    REFUSED,
    /** Its retransmissions or its handshake timed out. */
    TIMEOUT,
    /** This stack reset it for an MPTCP protocol error (a bad HMAC, a bad mapping). */
    PROTOCOL_ERROR
}
