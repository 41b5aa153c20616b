package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.mib.TcpMib;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Engine throughput through the simulator, in segments per CPU-second (a benchmark, not a test;
 * results go to docs/benchmarks.md). Run after {@code mvn -pl mptcp-core test-compile}:
 * <pre>java -cp mptcp-core/target/classes:mptcp-core/target/test-classes io.jmptcp.core.sim.EngineBenchmark</pre>
 * Each run moves 32 MiB each way between two engines; the CPU time includes the simulator, the
 * generation of the payload and SHA-256 over both streams, so it bounds the engine's cost from above.
 */
public final class EngineBenchmark {
    private EngineBenchmark() {
    }

    record Sample(long segments, long cpuNanos, long simMicros, long wallNanos) {
    }

    static Sample once(String scenario, long seed) {
        Link.Config l = new Link.Config().rate(1_000_000_000L).delay(5_000).queue(2000);
        TcpConfig cfg = new TcpConfig().timeWaitMicros(1_000_000);
        if (scenario.equals("loss1")) {
            l.loss(0.01);
        } else if (scenario.equals("reorder")) {
            l.reorder(0.10, 5);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        TcpPair p = new TcpPair(cfg, cfg, l, l, seed);
        TcpPair.Result r = p.run(new BulkApp(32L << 20, seed), new BulkApp(32L << 20, seed + 1), 3_600_000_000L);
        long cpu = mx.getCurrentThreadCpuTime() - cpu0;
        long wall = System.nanoTime() - wall0;
        if (!r.completed()) {
            throw new IllegalStateException("transfer did not complete");
        }
        long segs = p.clientMib.get(TcpMib.IN_SEGS) + p.serverMib.get(TcpMib.IN_SEGS);
        return new Sample(segs, cpu, r.simMicros(), wall);
    }

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("%-8s %10s %10s %14s %12s%n", "scenario", "segments", "cpu ms", "segs/cpu-s", "sim/real");
        for (String scenario : new String[]{"clean", "loss1", "reorder"}) {
            for (int i = 0; i < 2; i++) {
                once(scenario, 100 + i); // warm-up
            }
            long segs = 0;
            long cpu = 0;
            long sim = 0;
            long wall = 0;
            for (int i = 0; i < runs; i++) {
                Sample s = once(scenario, 200 + i);
                segs += s.segments;
                cpu += s.cpuNanos;
                sim += s.simMicros;
                wall += s.wallNanos;
            }
            System.out.printf("%-8s %10d %10d %14.0f %12.1f%n", scenario, segs / runs, cpu / runs / 1_000_000,
                    segs / (cpu / 1e9), sim * 1000.0 / wall);
        }
    }
}
