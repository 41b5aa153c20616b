package io.jmptcp.core.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    record Sub(boolean usable, boolean backup, long srttMicros, long sendSpace) implements SchedSubflow {
    }

    @Test
    void minRttPicksTheFastestSubflowWithRoom() {
        Scheduler s = new MinRttScheduler();
        assertEquals(1, s.pick(List.of(new Sub(true, false, 40_000, 1000), new Sub(true, false, 10_000, 1000))));
        assertEquals(0, s.pick(List.of(new Sub(true, false, 40_000, 1000), new Sub(true, false, 10_000, 0))),
                "the fast one is full: use the slow one");
        assertEquals(-1, s.pick(List.of(new Sub(true, false, 40_000, 0), new Sub(false, false, 10_000, 99))));
    }

    @Test
    void backupsCarryDataOnlyWhenNoRegularSubflowIsUsable() {
        Scheduler s = new MinRttScheduler();
        Sub regularFull = new Sub(true, false, 40_000, 0);
        Sub backup = new Sub(true, true, 1_000, 1000);
        assertEquals(-1, s.pick(List.of(regularFull, backup)), "a full regular subflow still rules out backups");
        assertEquals(1, s.pick(List.of(new Sub(false, false, 40_000, 1000), backup)));
    }

    @Test
    void roundRobinTakesTurns() {
        Scheduler s = new RoundRobinScheduler();
        List<Sub> subs = List.of(new Sub(true, false, 1, 10), new Sub(true, false, 1, 10), new Sub(true, false, 1, 0));
        assertEquals(0, s.pick(subs));
        assertEquals(1, s.pick(subs));
        assertEquals(0, s.pick(subs), "the third has no room, so it is skipped");
    }
}
