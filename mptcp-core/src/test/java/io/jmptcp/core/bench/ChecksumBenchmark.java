package io.jmptcp.core.bench;

import io.jmptcp.core.wire.Checksum;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The Internet checksum (TCP, and the DSS checksum of RFC 8684 section 3.3.1) over a heap and a direct buffer. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChecksumBenchmark {
    /** A full segment's payload and a 64 KiB super-segment (TSO). */
    @Param({"1460", "65483"})
    public int length;

    private ByteBuffer heap;
    private ByteBuffer direct;

    @Setup
    public void fill() {
        byte[] b = new byte[length];
        new SplittableRandom(1).nextBytes(b);
        heap = ByteBuffer.wrap(b);
        direct = ByteBuffer.allocateDirect(length).put(b).flip();
    }

    @Benchmark
    public int internetHeap() {
        return Checksum.internet(heap, 0, length);
    }

    @Benchmark
    public int internetDirect() {
        return Checksum.internet(direct, 0, length);
    }

    @Benchmark
    public int dss() {
        return Checksum.dss(0x1122334455667788L, 1, length, heap, 0, length);
    }
}
