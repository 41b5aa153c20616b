package io.jmptcp.core.sched;

/**
 * The default scheduler: among the subflows with room, the one with the lowest smoothed RTT
 * (the Linux kernel's default policy), filled with as much new data as it can take.
 */
public final class MinRttScheduler implements Scheduler {
    @Override
    public Decision send(SchedConnection c) {
        int i = Scheduler.fastest(c.subflows());
        return i < 0 ? Decision.WAIT : Decision.on(i, Scheduler.newDataBytes(c.subflows().get(i), c));
    }

    @Override
    public String name() {
        return "minrtt";
    }
}
