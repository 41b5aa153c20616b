package io.jmptcp.core.sched;

import java.util.List;

/**
 * A packet scheduler (RFC 6182 section 4; Linux {@code mptcp_sched_ops}): {@link #send} is
 * {@code get_send}, asked for each next piece of new data, and {@link #retransmit} is
 * {@code get_retrans}, asked for data that goes out again on another subflow (reinjection after a
 * subflow failed or timed out, the connection-level retransmission, opportunistic
 * retransmission). Both return the subflows and the byte count, or {@link Decision#WAIT}.
 *
 * <p>Backup subflows carry data only when no regular subflow is usable (RFC 8684 section 3.3.8):
 * a regular subflow that is merely full still rules them out ({@link #eligible}).
 *
 * <p>One instance per connection; a scheduler may keep state between calls (round-robin's turn).
 */
public interface Scheduler {
    /** The largest piece a decision hands to a subflow at once. */
    int MAX_CHUNK = 64 * 1024;

    /** The names {@link #byName} accepts, the default first. */
    List<String> NAMES = List.of("minrtt", "roundrobin", "redundant", "blest", "ecf");

    /** Where the next new data goes, and how much of it ({@code get_send}). */
    Decision send(SchedConnection c);

    /**
     * Where {@code bytes} bytes of data that already went out once go again ({@code get_retrans}):
     * by default the fastest subflow with room, at most {@code bytes}, {@link #MAX_CHUNK} and its
     * send space.
     */
    default Decision retransmit(SchedConnection c, long bytes) {
        int i = fastest(c.subflows());
        if (i < 0) {
            return Decision.WAIT;
        }
        return Decision.on(i, Math.min(Math.min(bytes, MAX_CHUNK), c.subflows().get(i).sendSpace()));
    }

    /** The name used on the command line and in status output. */
    String name();

    /**
     * A new scheduler with this name, one of {@link #NAMES}.
     *
     * @throws IllegalArgumentException for any other name
     */
    static Scheduler byName(String name) {
        return switch (name) {
            case "minrtt" -> new MinRttScheduler();
            case "roundrobin" -> new RoundRobinScheduler();
            case "redundant" -> new RedundantScheduler();
            case "blest" -> new BlestScheduler();
            case "ecf" -> new EcfScheduler();
            default -> throw new IllegalArgumentException("scheduler '" + name
                    + "' is not available (" + String.join(", ", NAMES) + ")");
        };
    }

    /** Whether only backup subflows may be used: true when no regular subflow is usable. */
    static boolean backupsOnly(List<? extends SchedSubflow> subflows) {
        for (SchedSubflow s : subflows) {
            if (s.usable() && !s.backup()) {
                return false;
            }
        }
        return true;
    }

    /** A subflow that may get data now, given whether only backups are in play. */
    static boolean eligible(SchedSubflow s, boolean backupsOnly) {
        return s.usable() && s.backup() == backupsOnly && s.sendSpace() > 0;
    }

    /**
     * The eligible subflow with the lowest smoothed RTT, or -1 (the first one on a tie). A
     * subflow without an RTT sample counts as fastest, so a new subflow gets data and with it a
     * first sample.
     */
    static int fastest(List<? extends SchedSubflow> subflows) {
        return fastest(subflows, true);
    }

    /**
     * The fastest subflow that may carry data, whether or not it has room now; -1 if none (BLEST
     * and ECF compare it with the fastest one that has room).
     */
    static int fastestUsable(List<? extends SchedSubflow> subs) {
        return fastest(subs, false);
    }

    /** The lowest-RTT subflow that may carry data (and has room, if {@code needRoom}); -1 if none. */
    private static int fastest(List<? extends SchedSubflow> subs, boolean needRoom) {
        boolean backupsOnly = backupsOnly(subs);
        int best = -1;
        long bestRtt = Long.MAX_VALUE;
        for (int i = 0; i < subs.size(); i++) {
            SchedSubflow x = subs.get(i);
            if (x.usable() && x.backup() == backupsOnly && (!needRoom || x.sendSpace() > 0)
                    && x.srttMicros() < bestRtt) {
                best = i;
                bestRtt = x.srttMicros();
            }
        }
        return best;
    }

    /**
     * BLEST's and ECF's shared shape: minRTT, except when the fastest subflow {@code f} is full
     * and a slower one {@code s} with room would get {@code b} bytes; then {@code slower} decides
     * (both RTTs known). Returns minRTT's decision in every other case.
     */
    static Decision minRttUnlessSlower(SchedConnection c, SlowerChoice slower) {
        List<? extends SchedSubflow> subs = c.subflows();
        int s = fastest(subs);
        if (s < 0) {
            return Decision.WAIT;
        }
        SchedSubflow slow = subs.get(s);
        long b = newDataBytes(slow, c);
        int f = fastestUsable(subs);
        if (f < 0 || f == s || b <= 0) {
            return Decision.on(s, b);
        }
        SchedSubflow fast = subs.get(f);
        if (fast.srttMicros() <= 0 || slow.srttMicros() <= 0 || slow.srttMicros() <= fast.srttMicros()) {
            return Decision.on(s, b);
        }
        return slower.decide(fast, slow, s, b);
    }

    /** What to do with {@code b} bytes that would go on the slower subflow {@code slow} (index {@code s}). */
    @FunctionalInterface
    interface SlowerChoice {
        Decision decide(SchedSubflow fast, SchedSubflow slow, int s, long b);
    }

    /**
     * How much new data fits on {@code s} now: its send space, bounded by what is unsent, by the
     * connection window left and by {@link #MAX_CHUNK}, cut to whole segments unless it is the
     * end of what may be sent; 0 when that is less than a segment and more is waiting.
     */
    static long newDataBytes(SchedSubflow s, SchedConnection c) {
        long avail = c.unsent();
        long wnd = c.windowLeft();
        int mss = s.mss();
        long len = Math.min(Math.min(s.sendSpace(), avail), Math.min(wnd, MAX_CHUNK));
        if (len < avail && len < wnd && len >= mss) {
            len -= len % mss; // full segments unless it is the end of what may be sent
        }
        if (len <= 0 || len < mss && len < avail && len < wnd) {
            return 0;
        }
        return len;
    }
}
