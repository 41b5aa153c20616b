package io.jmptcp.core.cc;

/**
 * A congestion controller for one TCP subflow, in bytes. The engine calls it on events and reads
 * {@link #cwnd()}; time is always passed in (microseconds). During fast recovery the engine paces
 * with Proportional Rate Reduction (RFC 6937) towards {@link #ssthresh()} and does not call
 * {@link #onAck} for growth; it calls {@link #onRecoveryExit} when recovery ends.
 *
 * <p>Coupled controllers (RFC 6356 LIA, OLIA, BALIA) need the whole connection: their
 * {@link CongestionControlFactory} is created per MPTCP connection and sees every controller it
 * hands out, so {@code onAck} of one subflow can read the windows and RTTs of the others.
 */
public interface CongestionControl {
    /** The congestion window in bytes. */
    long cwnd();

    /** The slow-start threshold in bytes ({@code Long.MAX_VALUE} until the first loss). */
    long ssthresh();

    /** The segment size the window is counted in changed (after the handshake). */
    void setMss(int mss);

    /**
     * New data was cumulatively acknowledged outside recovery.
     *
     * @param ackedBytes    bytes newly acknowledged
     * @param rttMicros     an RTT sample from this ACK, or -1
     * @param srttMicros    smoothed RTT of the subflow, or -1
     * @param cwndLimited   whether the sender was limited by cwnd (RFC 7661: grow only then)
     * @param nowMicros     current time
     */
    void onAck(long ackedBytes, long rttMicros, long srttMicros, boolean cwndLimited, long nowMicros);

    /** Loss detected by fast retransmit or RACK: set ssthresh (RFC 5681 (4), RFC 9438 4.6). */
    void onCongestionEvent(long bytesInFlight, long nowMicros);

    /** Fast recovery finished: the window continues from ssthresh. */
    void onRecoveryExit(long nowMicros);

    /** Retransmission timeout (RFC 5681 (4) and the loss window of one segment). */
    void onRto(long bytesInFlight, long nowMicros);

    /**
     * The last reduction was a mistake (a spurious timeout detected with timestamps, RFC 3522 /
     * RFC 4015): return to the window and threshold from before it.
     */
    void restore(long cwnd, long ssthresh);

    /** A short name for logs and status ("reno", "cubic"). */
    String name();
}
