package io.jmptcp.core.sched;

import java.util.List;

/**
 * The default scheduler: among the subflows with room, the one with the lowest smoothed RTT
 * (the Linux kernel's default policy). A subflow without an RTT sample counts as fastest, so a
 * new subflow gets data and with it a first sample.
 */
public final class MinRttScheduler implements Scheduler {
    @Override
    public int pick(List<? extends SchedSubflow> subflows) {
        boolean backupsOnly = Scheduler.backupsOnly(subflows);
        int best = -1;
        long bestRtt = Long.MAX_VALUE;
        for (int i = 0; i < subflows.size(); i++) {
            SchedSubflow s = subflows.get(i);
            if (Scheduler.eligible(s, backupsOnly) && s.srttMicros() < bestRtt) {
                best = i;
                bestRtt = s.srttMicros();
            }
        }
        return best;
    }

    @Override
    public String name() {
        return "minrtt";
    }
}
