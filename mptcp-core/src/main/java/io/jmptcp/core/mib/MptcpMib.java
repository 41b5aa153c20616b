package io.jmptcp.core.mib;

/**
 * MPTCP counters, named after the Linux kernel's MPTcpExt counters where they mean the same thing
 * (include/net/mptcp ... {@code mptcp_mib_field}). Read and incremented via {@link io.jmptcp.core.mib.Mib}.
 */
public enum MptcpMib {
    /** Received a SYN with a valid MP_CAPABLE. */
    MPCapableSYNRX,
    /** Sent a SYN with MP_CAPABLE. */
    MPCapableSYNTX,
    /** Received a SYN/ACK with a valid MP_CAPABLE. */
    MPCapableSYNACKRX,
    /** Received the third ACK (or first data) with MP_CAPABLE. */
    MPCapableACKRX,
    /** Server fell back: the handshake-completing ACK had no MP_CAPABLE. */
    MPCapableFallbackACK,
    /** Client fell back: the SYN/ACK had no valid MP_CAPABLE. */
    MPCapableFallbackSYNACK,
    /** A SYN without MP_CAPABLE was accepted as plain TCP. */
    MPCapableSYNRXPlain,
    /** Received an MP_JOIN SYN for a known token. */
    MPJoinSynRx,
    /** Received an MP_JOIN SYN for an unknown token, or one that was refused. */
    MPJoinSynRejected,
    /** Received an MP_JOIN SYN whose token names no connection (answered with a RST, no state kept). */
    MPJoinNoTokenFound,
    /** Received an MP_JOIN SYN/ACK with a valid HMAC. */
    MPJoinSynAckRx,
    /** MP_JOIN SYN/ACK with a wrong HMAC. */
    MPJoinSynAckHMacFailure,
    /** Received an MP_JOIN third ACK with a valid HMAC. */
    MPJoinAckRx,
    /** MP_JOIN third ACK with a wrong HMAC. */
    MPJoinAckHMacFailure,
    /** MP_JOIN subflows that became fully established by the fourth ACK. */
    MPJoinFourthAckRx,
    /** A mapping contradicted one already held for the same bytes. */
    DSSNotMatching,
    /** Data arrived without any mapping. */
    DSSNoMatchTCP,
    /** Sent the infinite mapping (DLL 0). */
    InfiniteMapTx,
    /** Received the infinite mapping. */
    InfiniteMapRx,
    /** DSS checksum failures. */
    DataCsumErr,
    /** Bytes received at the data level more than once (trimmed). */
    DuplicateData,
    /** Data-level segments queued out of order. */
    OFOQueue,
    /** Data beyond the advertised connection-level window, dropped. */
    NoDSSInWindow,
    /** jmptcp: data segments that arrived past the advertised right edge (kept while within one more buffer). */
    PastWindowEdge,
    /** Connection fell back to TCP after DSS went missing on data. */
    DSSFallback,
    /** Data sent again on another subflow after a timeout (RFC 6182 section 5.2). */
    Reinjection,
    /** MP_FAIL sent. */
    MPFailTx,
    /** MP_FAIL received. */
    MPFailRx,
    /** MP_FASTCLOSE sent. */
    MPFastcloseTx,
    /** MP_FASTCLOSE received (and accepted). */
    MPFastcloseRx,
    /** MP_TCPRST sent. */
    MPRstTx,
    /** MP_TCPRST received. */
    MPRstRx,
    /** ADD_ADDR received with a valid HMAC. */
    AddAddr,
    /** ADD_ADDR echo received. */
    Echo,
    /** ADD_ADDR sent (each repetition counted). */
    AddAddrTx,
    /** ADD_ADDR echo sent. */
    EchoAddTx,
    /** ADD_ADDR received and dropped (a wrong HMAC). */
    AddAddrDrop,
    /** Address ids received in REMOVE_ADDR. */
    RmAddr,
    /** Address ids sent in REMOVE_ADDR. */
    RmAddrTx,
    /** Subflows closed by the path manager (their address removed on either side). */
    RmSubflow,
    /** MP_PRIO sent. */
    MPPrioTx,
    /** MP_PRIO received. */
    MPPrioRx,
    /** Subflows taken out of scheduling after a retransmission timeout (their data reinjected). */
    SubflowStale,
    /** Stale subflows that worked again. */
    SubflowRecover,
    /** Connection-level retransmissions: DATA_ACK stalled for a connection RTO. */
    MPTCPRetrans,
    /**
     * jmptcp: opportunistic retransmissions (Raiciu et al., NSDI 2012): data at DATA_ACK sent again
     * on a faster subflow because it held up the connection window.
     */
    OpportunisticRetrans,
    /** jmptcp: congestion windows halved because their subflow held up the connection window. */
    Penalisation,
    /** jmptcp: connection-level receive buffers grown by auto-tuning (RFC 6182 section 5.3). */
    RcvBufGrow,
    /** jmptcp: subflows re-created by the path manager after a reset or a timeout (counted once they work). */
    SubflowRecreated,
    /** jmptcp: connections that failed after the close timeout passed without any subflow. */
    CloseTimeout,
    /** MPTCP options that failed validation (wrong length, version or flags) and were ignored. */
    OptionInvalid,
    /**
     * jmptcp: a DATA_FIN that contradicts the stream (at another DSN than the one taken, below data
     * already received), ignored; or data beyond the DATA_FIN, dropped.
     */
    DataFinConflict,
    /** jmptcp (after TcpExt TCPOFODrop): out-of-order data dropped because the connection held its most. */
    OFODrop,
    /**
     * A subflow's send window raised to what the connection-level window allows (as Linux's
     * SndWndShared; section 3.3.4).
     */
    SndWndShared,
    /** jmptcp: the connection-level window was closed with data waiting and nothing outstanding: a subflow probes it. */
    WindowProbeArmed
}
