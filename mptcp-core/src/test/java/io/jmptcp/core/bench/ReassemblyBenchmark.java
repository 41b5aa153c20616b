package io.jmptcp.core.bench;

import io.jmptcp.core.mptcp.DataReceiveBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Connection-level reassembly ({@link DataReceiveBuffer}): 64 segments of 1,400 bytes arrive, in
 * order or in a shuffled order (two subflows and losses scramble them), and the application reads
 * them out. The time is per segment.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ReassemblyBenchmark {
    static final int SEGMENTS = 64;
    static final int MSS = 1400;

    @Param({"inorder", "shuffled"})
    public String order;

    private final byte[] data = new byte[MSS];
    private final byte[] sink = new byte[64 << 10];
    private int[] sequence;

    @Setup
    public void plan() {
        sequence = new int[SEGMENTS];
        for (int i = 0; i < SEGMENTS; i++) {
            sequence[i] = i;
        }
        if (order.equals("shuffled")) {
            SplittableRandom r = new SplittableRandom(7);
            for (int i = SEGMENTS - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = sequence[i];
                sequence[i] = sequence[j];
                sequence[j] = t;
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public long receiveAndRead() {
        DataReceiveBuffer b = new DataReceiveBuffer(0, 4 << 20);
        for (int i : sequence) {
            b.receive(1 + (long) i * MSS, data, 0, MSS);
        }
        long n = 0;
        int k;
        while ((k = b.read(sink, 0, sink.length)) > 0) {
            n += k;
        }
        if (n != (long) SEGMENTS * MSS) {
            throw new IllegalStateException("read " + n);
        }
        return n;
    }
}
