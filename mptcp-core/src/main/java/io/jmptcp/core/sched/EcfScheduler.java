package io.jmptcp.core.sched;

/**
 * ECF, Earliest Completion First (Lim, Nahum, Towsley, Gibbens: "ECF: An MPTCP Path Scheduler to
 * Manage Heterogeneous Paths", ACM CoNEXT 2017, Algorithm 1). Like minRTT it fills the fastest
 * subflow {@code f} first. When {@code f} has no room and a slower subflow {@code s} has, ECF asks
 * whether the data still to send would be done sooner by waiting for {@code f}: with {@code k}
 * segments that may be sent now, {@code f} needs about {@code n = 1 + k / CWND_f} of its RTTs,
 * while a segment put on {@code s} arrives after RTT_s. With {@code K} segments unsent in all and
 * {@code delta = max(RTTVAR_f, RTTVAR_s)}:
 *
 * <pre>
 *   if n * RTT_f &lt; (1 + waiting * beta) * (RTT_s + delta):
 *       if max(1, K / CWND_s) * RTT_s &gt;= 2 * RTT_f + delta:  waiting = 1, wait for f
 *       else:                                                   send on s
 *   else:                                                       waiting = 0, send on s
 * </pre>
 *
 * (windows in segments; {@code beta} = 0.25, the paper's hysteresis, which keeps a decision to
 * wait from flapping). The second test keeps {@code s} in use when what is left would finish on
 * it within about two RTTs of {@code f}. The paper charges {@code s} only {@code K / CWND_s} of its
 * RTTs there, less than one for the last few segments of a transfer, although they cannot arrive
 * sooner than about one RTT_s (the first test charges {@code s} a whole RTT_s + delta, as it
 * charges {@code f} {@code 1 + k / CWND_f} of its RTTs); so here {@code s} takes at least one RTT.
 * Without that, with RTT_s 20 times RTT_f (delta inflated by the RTTVAR of a subflow with a single
 * sample, RTT_s / 2), the last 4-6 segments of every transfer went on {@code s} and the receiver
 * waited for them (docs/benchmarks.md, session 8).
 *
 * <p>{@code k} and {@code K}: the paper counts the segments queued at the connection in both tests.
 * Data beyond the peer's connection-level window cannot be sent before DATA_ACKs move it, whichever
 * subflow is used, so in the first test {@code k} is what is unsent and fits in the window left:
 * with a bulk sender and a large window ECF uses every subflow, and with a small window it keeps the
 * slow one from holding it. The second test is about the end of the transfer, so there {@code K} is
 * everything unsent, as in the paper: a nearly full window (a segment or two left) is not the end of
 * the transfer, and the few segments that fit would hold the window's left edge for the slow
 * subflow's RTT.
 *
 * <p>Without RTT samples on both subflows, {@code s} is used as minRTT would. Reinjected data goes,
 * as with minRTT, to the fastest subflow with room.
 */
public final class EcfScheduler implements Scheduler {
    /** The paper's hysteresis factor. */
    static final double BETA = 0.25;
    private boolean waiting;

    @Override
    public Decision send(SchedConnection c) {
        return Scheduler.minRttUnlessSlower(c,
                (fast, slow, s, b) -> shouldWait(c, fast, slow) ? Decision.WAIT : Decision.on(s, b));
    }

    /** Algorithm 1 of the paper, with the state it keeps ({@code waiting}). */
    boolean shouldWait(SchedConnection c, SchedSubflow fast, SchedSubflow slow) {
        double k = (double) Math.max(0, Math.min(c.unsent(), c.windowLeft())) / fast.mss();
        double all = (double) Math.max(0, c.unsent()) / fast.mss();
        double cwndF = Math.max(1.0, (double) fast.cwnd() / fast.mss());
        double cwndS = Math.max(1.0, (double) slow.cwnd() / slow.mss());
        double rttF = fast.srttMicros();
        double rttS = slow.srttMicros();
        double delta = Math.max(fast.rttvarMicros(), slow.rttvarMicros());
        double n = 1 + k / cwndF;
        if (n * rttF < (1 + (waiting ? BETA : 0)) * (rttS + delta)) {
            if (Math.max(1, all / cwndS) * rttS >= 2 * rttF + delta) {
                waiting = true;
                return true;
            }
            return false;
        }
        waiting = false;
        return false;
    }

    @Override
    public String name() {
        return "ecf";
    }
}
