package io.jmptcp.core.sched;

/** What a packet scheduler may know about one subflow (RFC 6182 section 4, packet scheduling). */
public interface SchedSubflow {
    /** Established and allowed to carry data (fully established, not closing, not failed). */
    boolean usable();

    /** The subflow is a backup path (MP_JOIN or MP_PRIO B flag, RFC 8684 section 3.3.8). */
    boolean backup();

    /** Smoothed RTT in microseconds, or 0 when there is no sample yet. */
    long srttMicros();

    /** Bytes the subflow can put on the wire now: congestion and peer window space. */
    long sendSpace();
}
