package io.jmptcp.core.conn;

import java.util.List;

/**
 * What a connection reports about itself (the kernel's MPTCP_INFO and MPTCP_SUBFLOW_ADDRS).
 *
 * @param mptcp     MPTCP was negotiated
 * @param fallback  MPTCP was tried or negotiated, then the connection fell back to plain TCP
 * @param state     the connection's state
 * @param scheduler the packet scheduler's name ("-" for plain TCP)
 * @param cc        the congestion controller's name
 * @param sendWindowLeft bytes of the peer's receive window (connection level for MPTCP) not yet
 *                  used by new data, or -1 where there is none
 */
public record ConnectionInfo(String local, String remote, Connection.State state, boolean mptcp,
                             boolean fallback, long bytesSent, long bytesReceived, String scheduler,
                             String cc, long sendWindowLeft, List<Subflow> subflows) {
    public ConnectionInfo {
        subflows = List.copyOf(subflows);
    }

    /**
     * One subflow.
     *
     * @param ssthreshBytes the slow-start threshold ({@link Long#MAX_VALUE} before the first loss)
     * @param inFlightBytes bytes believed in the network (RFC 6675 pipe)
     */
    public record Subflow(String local, String remote, String state, boolean backup, long rttMicros,
                          long cwndBytes, long ssthreshBytes, long inFlightBytes, long bytesSent,
                          long bytesReceived, long retransmits) {
    }
}
