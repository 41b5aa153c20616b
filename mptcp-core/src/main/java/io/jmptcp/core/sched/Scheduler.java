package io.jmptcp.core.sched;

import java.util.List;

/**
 * Chooses the subflow for the next chunk of new data (Linux {@code mptcp_sched_ops.get_send}).
 * Backup subflows carry data only when no regular subflow is usable (RFC 8684 section 3.3.8).
 */
public interface Scheduler {
    /** The index in {@code subflows} that gets the next data, or -1 if none can send now. */
    int pick(List<? extends SchedSubflow> subflows);

    /** The name used on the command line and in status output. */
    String name();

    /**
     * A new scheduler with this name ({@code minrtt} or {@code roundrobin}).
     *
     * @throws IllegalArgumentException for any other name
     */
    static Scheduler byName(String name) {
        return switch (name) {
            case "minrtt" -> new MinRttScheduler();
            case "roundrobin" -> new RoundRobinScheduler();
            default -> throw new IllegalArgumentException("scheduler '" + name
                    + "' is not available (minrtt, roundrobin)");
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
}
