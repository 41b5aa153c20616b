package io.jmptcp.core.mib;

/** TCP MIB counters, one comment each (after Linux include/uapi/linux/snmp.h). Read via {@link Mib}. */
public enum TcpMib {
    /** Segments handed to the engine. */
    IN_SEGS,
    /** Segments the engine emitted, retransmissions included. */
    OUT_SEGS,
    /** Data segments sent again (any cause). */
    RETRANS_SEGS,
    /** Retransmission timer expirations (RFC 6298 5.4). */
    RTO_EXPIRED,
    /** Retransmissions triggered by loss detection before the RTO (RACK or three duplicate ACKs). */
    FAST_RETRANS,
    /** Entries into SACK-based loss recovery. */
    SACK_RECOVERY,
    /** Entries into NewReno recovery (peer without SACK, RFC 6582). */
    NEWRENO_RECOVERY,
    /** Timeouts found spurious by the timestamp echo and undone (Eifel, RFC 3522 / RFC 4015). */
    SPURIOUS_RTO,
    /** Tail loss probes sent (RFC 8985 section 7). */
    TLP_PROBES,
    /** Challenge ACKs sent (RFC 5961). */
    CHALLENGE_ACKS,
    /** Challenge ACKs suppressed by the rate limit (RFC 5961 section 7). */
    CHALLENGE_ACK_LIMITED,
    /** Duplicate ACKs for unacceptable data-less segments suppressed by the rate limit. */
    OOW_ACK_LIMITED,
    /** RSTs sent. */
    OUT_RSTS,
    /** Connections reset by an accepted RST. */
    RESETS_RECEIVED,
    /** D-SACK blocks received (RFC 2883): the peer got something twice. */
    DSACKS_RECEIVED,
    /** Duplicate data received, reported with D-SACK. */
    DUP_DATA_RECEIVED,
    /** Segments received out of order and queued. */
    OFO_QUEUED,
    /** Zero-window probes sent. */
    WINDOW_PROBES,
    /** Keepalive probes sent. */
    KEEPALIVE_PROBES,
    /** Orphaned FIN-WAIT-2 connections given up when the peer's FIN did not come (Linux tcp_fin_timeout). */
    FIN_WAIT2_TIMEOUT,
    /** Drop: timestamp older than TS.Recent (PAWS, RFC 7323 section 5). */
    DROP_PAWS,
    /** Drop: segment outside the receive window (RFC 9293 3.10.7.4 first check). */
    DROP_OUT_OF_WINDOW,
    /** Drop: RST outside the window (RFC 5961 3.2). */
    DROP_RST_OUT_OF_WINDOW,
    /** Drop: ACK for data never sent, or too old (RFC 5961 section 5). */
    DROP_BAD_ACK,
    /** Drop: segment without ACK in a synchronised state. */
    DROP_NO_ACK,
    /** Drop: segment not valid in the current state (e.g. no SYN in SYN-SENT, anything when closed). */
    DROP_BAD_STATE,
    /** Drop: payload beyond the window was cut off (bytes are not counted, segments are). */
    TRIMMED_BEYOND_WINDOW
}
