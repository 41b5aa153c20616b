package io.jmptcp.core.sched;

import java.util.List;

/**
 * The connection as a scheduler sees it (Linux {@code struct mptcp_sched_data}): its subflows and
 * the state of the data-level send side. A scheduler's {@link Decision} names subflows by their
 * index in {@link #subflows()}.
 */
public interface SchedConnection {
    /** The subflows the decision may choose from. */
    List<? extends SchedSubflow> subflows();

    /**
     * Bytes of the peer's connection-level receive window not yet used: the right edge (RFC 8684
     * section 3.3.4) minus the next new data sequence number.
     */
    long windowLeft();

    /** The whole connection-level send window: the right edge minus DATA_ACK. */
    long sendWindow();

    /** Bytes the application wrote that no subflow has carried yet. */
    long unsent();
}
