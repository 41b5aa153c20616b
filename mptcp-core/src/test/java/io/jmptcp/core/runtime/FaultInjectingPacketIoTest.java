package io.jmptcp.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.runtime.FaultInjectingPacketIo.Faults;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultInjectingPacketIoTest {
    private static final int N = 20_000;

    /** Sends N numbered packets through faults on the sending side; returns what arrived. */
    private static List<byte[]> sendThrough(Faults faults, long seed, FaultInjectingPacketIo[] out)
            throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4 * N);
        FaultInjectingPacketIo f = new FaultInjectingPacketIo(ends[0], faults, Faults.NONE, seed);
        out[0] = f;
        ByteBuffer p = ByteBuffer.allocate(32);
        for (int i = 0; i < N; i++) {
            p.clear();
            p.putInt(0, i);
            f.send(p);
            assertEquals(0, p.getInt(0) ^ i, "send must not modify the caller's buffer");
        }
        List<byte[]> got = new ArrayList<>();
        PacketBatch batch = new PacketBatch(256, 1500, false);
        while (ends[1].receive(batch, 0) > 0) {
            for (int i = 0; i < batch.size(); i++) {
                byte[] a = new byte[batch.get(i).remaining()];
                batch.get(i).get(0, a);
                got.add(a);
            }
            batch.clear();
        }
        return got;
    }

    /** |observed - n p| within 4 standard deviations of a binomial(n, p). */
    private static void assertBinomial(long observed, int n, double p, String what) {
        double sigma = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(observed - n * p) <= 4 * sigma,
                what + ": " + observed + " of " + n + ", expected " + n * p + " +- " + 4 * sigma);
    }

    @Test
    void dropRateIsBinomial() throws Exception {
        FaultInjectingPacketIo[] f = new FaultInjectingPacketIo[1];
        List<byte[]> got = sendThrough(new Faults(10, 0, 0), 42, f);
        assertEquals(N - f[0].dropped(), got.size());
        assertBinomial(f[0].dropped(), N, 0.10, "drops");
    }

    @Test
    void duplicatesAreIdenticalCopies() throws Exception {
        FaultInjectingPacketIo[] f = new FaultInjectingPacketIo[1];
        List<byte[]> got = sendThrough(new Faults(0, 5, 0), 7, f);
        assertEquals(N + f[0].duplicated(), got.size());
        assertBinomial(f[0].duplicated(), N, 0.05, "duplicates");
        int pairs = 0;
        for (int i = 1; i < got.size(); i++) {
            if (java.util.Arrays.equals(got.get(i), got.get(i - 1))) {
                pairs++;
            }
        }
        assertEquals(f[0].duplicated(), pairs, "each copy follows its original");
    }

    @Test
    void corruptionFlipsExactlyOneBit() throws Exception {
        FaultInjectingPacketIo[] f = new FaultInjectingPacketIo[1];
        List<byte[]> got = sendThrough(new Faults(0, 0, 3), 9, f);
        assertEquals(N, got.size());
        int corrupted = 0;
        for (int i = 0; i < N; i++) {
            ByteBuffer expected = ByteBuffer.allocate(32).putInt(0, i);
            int bits = 0;
            for (int j = 0; j < 32; j++) {
                bits += Integer.bitCount((got.get(i)[j] ^ expected.get(j)) & 0xff);
            }
            assertTrue(bits <= 1, "packet " + i + " has " + bits + " flipped bits");
            corrupted += bits;
        }
        assertEquals(f[0].corrupted(), corrupted);
        assertBinomial(corrupted, N, 0.03, "corruptions");
    }

    @Test
    void sameSeedSameFaults() throws Exception {
        FaultInjectingPacketIo[] a = new FaultInjectingPacketIo[1];
        FaultInjectingPacketIo[] b = new FaultInjectingPacketIo[1];
        FaultInjectingPacketIo[] c = new FaultInjectingPacketIo[1];
        Faults faults = new Faults(20, 20, 20);
        List<byte[]> x = sendThrough(faults, 1234, a);
        List<byte[]> y = sendThrough(faults, 1234, b);
        List<byte[]> z = sendThrough(faults, 4321, c);
        assertEquals(x.size(), y.size());
        for (int i = 0; i < x.size(); i++) {
            assertTrue(java.util.Arrays.equals(x.get(i), y.get(i)), "packet " + i + " differs");
        }
        assertTrue(a[0].dropped() != c[0].dropped() || a[0].duplicated() != c[0].duplicated(),
                "another seed gives other faults");
    }

    @Test
    void receiveSideDropsAndDuplicatesWithinTheBatch() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4 * N);
        FaultInjectingPacketIo f = new FaultInjectingPacketIo(ends[1], Faults.NONE, new Faults(25, 10, 0), 3);
        ByteBuffer p = ByteBuffer.allocate(8);
        for (int i = 0; i < N; i++) {
            ends[0].send(p.putInt(0, i));
        }
        PacketBatch batch = new PacketBatch(64, 1500, true);
        long received = 0;
        int last = -1;
        while (true) {
            int n = f.receive(batch, 0);
            if (n == 0 && f.dropped() + received - f.duplicated() >= N) {
                break;
            }
            assertEquals(n, batch.size());
            for (int i = 0; i < n; i++) {
                int seq = batch.get(i).getInt(0);
                assertTrue(seq >= last, "order kept: " + seq + " after " + last);
                last = seq;
            }
            received += n;
            batch.clear();
        }
        assertEquals(N, received - f.duplicated() + f.dropped());
        assertBinomial(f.dropped(), N, 0.25, "receive drops");
    }
}
