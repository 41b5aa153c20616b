package io.jmptcp.core.bench;

import io.jmptcp.core.sched.Decision;
import io.jmptcp.core.sched.SchedConnection;
import io.jmptcp.core.sched.SchedSubflow;
import io.jmptcp.core.sched.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One scheduling decision ({@link Scheduler#send}) over 2 or 8 subflows with different RTTs and
 * windows, the fastest one full (so minRTT, BLEST and ECF compare the others), with a bulk sender's
 * queue and window.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SchedulerBenchmark {
    @Param({"minrtt", "roundrobin", "redundant", "blest", "ecf"})
    public String scheduler;

    @Param({"2", "8"})
    public int subflows;

    private Scheduler s;
    private SchedConnection conn;

    record Sub(boolean usable, boolean backup, long srttMicros, long rttvarMicros, long cwnd, long inFlight, int mss,
               long sendSpace) implements SchedSubflow {
    }

    record Conn(List<Sub> subflows, long windowLeft, long sendWindow, long unsent) implements SchedConnection {
    }

    @Setup
    public void build() {
        s = Scheduler.byName(scheduler);
        List<Sub> l = new ArrayList<>();
        for (int i = 0; i < subflows; i++) {
            long cwnd = 14_000L * (i + 2);
            long inFlight = i == 0 ? cwnd : cwnd / 2; // the fastest is full
            l.add(new Sub(true, false, 10_000L * (i + 1), 2_000L * (i + 1), cwnd, inFlight, 1400, 1 << 20));
        }
        conn = new Conn(l, 1 << 20, 4 << 20, 64 << 20);
    }

    @Benchmark
    public Decision send() {
        return s.send(conn);
    }
}
