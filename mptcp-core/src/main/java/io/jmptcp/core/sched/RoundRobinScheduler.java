package io.jmptcp.core.sched;

import java.util.List;

/** Gives each piece of new (and reinjected) data to the next subflow with room, in turn. */
public final class RoundRobinScheduler implements Scheduler {
    private int next;

    @Override
    public Decision send(SchedConnection c) {
        int i = nextTurn(c.subflows());
        return i < 0 ? Decision.WAIT : Decision.on(i, Scheduler.newDataBytes(c.subflows().get(i), c));
    }

    @Override
    public Decision retransmit(SchedConnection c, long bytes) {
        int i = nextTurn(c.subflows());
        return i < 0 ? Decision.WAIT
                : Decision.on(i, Math.min(Math.min(bytes, MAX_CHUNK), c.subflows().get(i).sendSpace()));
    }

    private int nextTurn(List<? extends SchedSubflow> subflows) {
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
