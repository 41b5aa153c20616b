package io.jmptcp.core.sched;

import java.util.List;

/**
 * Every byte on every usable non-backup subflow (or, with no regular subflow usable, on every
 * backup), for latency: the first copy to arrive is delivered and the receiver trims the others
 * (mptcp_net-next #467; Linux's BPF {@code bpf_red}). A decision names every eligible subflow
 * with room and the bytes all of them can take, so one full subflow does not hold the others
 * back: a subflow whose window is full misses the bytes sent meanwhile rather than queueing data
 * behind it that the peer will already have (the out-of-tree kernel's redundant scheduler skips
 * data already acknowledged for the same reason). It is meant for light, latency-sensitive
 * traffic, where every subflow has room for every message. Under a bulk load the subflows fill
 * their windows and get room in turn, few pieces find more than one subflow with room, and it
 * sends much like minRTT with few copies.
 */
public final class RedundantScheduler implements Scheduler {
    @Override
    public Decision send(SchedConnection c) {
        return onAll(c, Long.MAX_VALUE, true);
    }

    @Override
    public Decision retransmit(SchedConnection c, long bytes) {
        return onAll(c, Math.min(bytes, MAX_CHUNK), false);
    }

    private static Decision onAll(SchedConnection c, long limit, boolean newData) {
        List<? extends SchedSubflow> subs = c.subflows();
        boolean backupsOnly = Scheduler.backupsOnly(subs);
        int[] chosen = new int[subs.size()];
        int n = 0;
        long bytes = limit;
        for (int i = 0; i < subs.size(); i++) {
            SchedSubflow s = subs.get(i);
            if (!Scheduler.eligible(s, backupsOnly)) {
                continue;
            }
            long b = newData ? Scheduler.newDataBytes(s, c) : s.sendSpace();
            if (b <= 0) {
                continue;
            }
            chosen[n++] = i;
            bytes = Math.min(bytes, b);
        }
        if (n == 0 || bytes <= 0) {
            return Decision.WAIT;
        }
        return new Decision(java.util.Arrays.copyOf(chosen, n), bytes);
    }

    @Override
    public String name() {
        return "redundant";
    }
}
