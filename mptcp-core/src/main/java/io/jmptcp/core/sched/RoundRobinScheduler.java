package io.jmptcp.core.sched;

import java.util.List;

/** Gives each chunk of new data to the next subflow with room, in turn. */
public final class RoundRobinScheduler implements Scheduler {
    private int next;

    @Override
    public int pick(List<? extends SchedSubflow> subflows) {
        boolean backupsOnly = Scheduler.backupsOnly(subflows);
        int n = subflows.size();
        for (int k = 0; k < n; k++) {
            int i = (next + k) % n;
            if (Scheduler.eligible(subflows.get(i), backupsOnly)) {
                next = (i + 1) % n;
                return i;
            }
        }
        return -1;
    }

    @Override
    public String name() {
        return "roundrobin";
    }
}
