package io.jmptcp.core.sched;

/**
 * What a packet scheduler may know about one subflow (RFC 6182 section 4, packet scheduling; the
 * fields Linux's {@code mptcp_sched_ops} reads from a subflow). All sizes are bytes, all times
 * microseconds.
 */
public interface SchedSubflow {
    /** Established and allowed to carry data (fully established, not closing, not failed). */
    boolean usable();

    /** The subflow is a backup path (MP_JOIN or MP_PRIO B flag, RFC 8684 section 3.3.8). */
    boolean backup();

    /** Smoothed RTT, or 0 when there is no sample yet. */
    long srttMicros();

    /** RTT variation (RFC 6298 RTTVAR), or 0 when there is no sample yet. */
    long rttvarMicros();

    /** The congestion window in force. */
    long cwnd();

    /** Bytes believed to be in the network (RFC 6675 pipe). */
    long inFlight();

    /** Payload of a full segment. */
    int mss();

    /**
     * Bytes the subflow can put on the wire now: congestion and peer window space, less what is
     * queued on it unsent; less than one {@link #mss()} counts as 0.
     */
    long sendSpace();
}
