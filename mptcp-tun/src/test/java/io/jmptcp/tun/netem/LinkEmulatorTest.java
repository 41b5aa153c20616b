package io.jmptcp.tun.netem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.tun.netem.LinkEmulator.Config;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Statistics of the link emulator with fixed seeds, on a virtual clock. */
class LinkEmulatorTest {
    private static final long MS = 1_000_000L;

    /** One delivered packet: its number (first 4 bytes), when it was offered and when it left. */
    record Delivery(int id, long offeredAt, long deliveredAt, int length) {
        long delay() {
            return deliveredAt - offeredAt;
        }
    }

    /**
     * Offers {@code n} packets of {@code length} bytes, one every {@code spacing} ns, and polls
     * each packet exactly at its due time. Also checks that nothing is ever delivered early.
     */
    static List<Delivery> run(LinkEmulator em, int n, long spacing, int length) {
        List<Delivery> out = new ArrayList<>();
        long[] offeredAt = new long[n];
        ByteBuffer p = ByteBuffer.allocate(length);
        for (int i = 0; i < n; i++) {
            long now = i * spacing;
            drain(em, now, offeredAt, out);
            offeredAt[i] = now;
            p.putInt(0, i);
            em.offer(p, now);
        }
        drain(em, Long.MAX_VALUE - 1, offeredAt, out);
        return out;
    }

    private static void drain(LinkEmulator em, long until, long[] offeredAt, List<Delivery> out) {
        while (em.nextDue() <= until) {
            long due = em.nextDue();
            assertNull(em.poll(due - 1), "nothing may leave before it is due");
            ByteBuffer b = em.poll(due);
            int id = b.getInt(0);
            out.add(new Delivery(id, offeredAt[id], due, b.remaining()));
        }
    }

    /** |observed - n p| within 4 standard deviations of a binomial(n, p). */
    static void assertBinomial(long observed, long n, double p, String what) {
        double sigma = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(observed - n * p) <= 4 * sigma,
                what + ": " + observed + " of " + n + ", expected " + n * p + " +- " + 4 * sigma);
    }

    @Test
    void meanDelayAndJitterRange() {
        int n = 10_000;
        LinkEmulator em = new LinkEmulator(Config.none().withDelay(20 * MS, 5 * MS).withSeed(11), 1500);
        List<Delivery> d = run(em, n, MS, 100);
        assertEquals(n, d.size());
        double mean = d.stream().mapToLong(Delivery::delay).average().orElseThrow();
        // Uniform on [15, 25] ms: standard deviation 10/sqrt(12) = 2.89 ms; the mean of 10,000
        // has a standard error of 0.029 ms; 4 sigma = 0.116 ms.
        assertEquals(20 * MS, mean, 0.116 * MS, "mean delay");
        long min = d.stream().mapToLong(Delivery::delay).min().orElseThrow();
        long max = d.stream().mapToLong(Delivery::delay).max().orElseThrow();
        assertTrue(min >= 15 * MS && max <= 25 * MS, "delay within [15, 25] ms: " + min + ".." + max);
        assertTrue(min < 15.1 * MS && max > 24.9 * MS, "jitter covers its range: " + min + ".." + max);
        double var = d.stream().mapToDouble(x -> Math.pow(x.delay() - mean, 2)).sum() / n;
        assertEquals(2.887 * MS, Math.sqrt(var), 0.1 * MS, "standard deviation of a uniform jitter");
    }

    @Test
    void fixedDelayKeepsOrder() {
        LinkEmulator em = new LinkEmulator(Config.none().withDelay(7 * MS, 0), 1500);
        List<Delivery> d = run(em, 1000, MS / 10, 60);
        for (int i = 0; i < d.size(); i++) {
            assertEquals(i, d.get(i).id());
            assertEquals(7 * MS, d.get(i).delay());
        }
    }

    @Test
    void lossRateIsBinomial() {
        int n = 20_000;
        LinkEmulator em = new LinkEmulator(Config.none().withLoss(10).withSeed(5), 1500);
        List<Delivery> d = run(em, n, MS, 100);
        LinkEmulator.Stats s = em.stats();
        assertEquals(n - s.lost(), d.size());
        assertBinomial(s.lost(), n, 0.10, "lost");
    }

    @Test
    void duplicatesAreBinomialAndIdentical() {
        int n = 20_000;
        LinkEmulator em = new LinkEmulator(Config.none().withDuplicate(5).withSeed(6), 1500);
        List<Delivery> d = run(em, n, MS, 100);
        long extra = d.size() - n;
        assertEquals(em.stats().duplicated(), extra);
        assertBinomial(extra, n, 0.05, "duplicates");
        long repeats = 0;
        for (int i = 1; i < d.size(); i++) {
            if (d.get(i).id() == d.get(i - 1).id()) {
                repeats++;
            }
        }
        assertEquals(extra, repeats, "without delay each copy leaves right after its original");
    }

    @Test
    void reorderedPacketsSkipTheDelay() {
        int n = 20_000;
        LinkEmulator em = new LinkEmulator(Config.none().withDelay(10 * MS, 0).withReorder(25).withSeed(7), 1500);
        List<Delivery> d = run(em, n, MS, 100);
        long immediate = d.stream().filter(x -> x.delay() == 0).count();
        long delayed = d.stream().filter(x -> x.delay() == 10 * MS).count();
        assertEquals(n, immediate + delayed, "every packet is either immediate or delayed 10 ms");
        assertEquals(em.stats().reordered(), immediate);
        assertBinomial(immediate, n, 0.25, "reordered");
        long overtakes = 0;
        for (int i = 1; i < d.size(); i++) {
            if (d.get(i).id() < d.get(i - 1).id()) {
                overtakes++;
            }
        }
        assertTrue(overtakes > 0.2 * n, "packets arrive out of order: " + overtakes);
    }

    @Test
    void rateSerializesPackets() {
        // 1,000 bytes at 8 Mbit/s take exactly 1 ms each.
        LinkEmulator em = new LinkEmulator(Config.none().withRate(8), 1500);
        List<Delivery> d = run(em, 200, 0, 1000);
        assertEquals(200, d.size());
        for (int i = 0; i < d.size(); i++) {
            assertEquals((i + 1) * MS, d.get(i).deliveredAt(), "packet " + i);
        }
        // Offered at 2 ms spacing the link is idle half of the time: no queueing.
        LinkEmulator idle = new LinkEmulator(Config.none().withRate(8).withDelay(5 * MS, 0), 1500);
        for (Delivery x : run(idle, 100, 2 * MS, 1000)) {
            assertEquals(6 * MS, x.delay());
        }
    }

    @Test
    void rateGoodputMatchesUnderLoad() {
        LinkEmulator em = new LinkEmulator(Config.none().withRate(50).withLimit(100_000), 1500);
        List<Delivery> d = run(em, 10_000, 0, 1500);
        long last = d.get(d.size() - 1).deliveredAt();
        double mbit = 10_000 * 1500 * 8 / (last / 1e9) / 1e6;
        assertEquals(50.0, mbit, 0.01, "throughput in Mbit/s");
    }

    @Test
    void limitTailDrops() {
        LinkEmulator em = new LinkEmulator(Config.none().withRate(8).withLimit(10), 1500);
        List<Delivery> d = run(em, 100, 0, 1000);
        assertEquals(10, d.size());
        assertEquals(90, em.stats().overLimit());
        for (int i = 0; i < 10; i++) {
            assertEquals(i, d.get(i).id(), "the first ten got in");
        }
        LinkEmulator small = new LinkEmulator(Config.none(), 100);
        small.offer(ByteBuffer.allocate(101), 0);
        assertEquals(1, small.stats().oversize());
        assertEquals(Long.MAX_VALUE, small.nextDue());
    }

    @Test
    void sameSeedSameOutcome() {
        Config c = new Config(10 * MS, 3 * MS, 10, 10, 10, 20, 1000, 99);
        List<Delivery> a = run(new LinkEmulator(c, 1500), 5000, MS / 2, 500);
        List<Delivery> b = run(new LinkEmulator(c, 1500), 5000, MS / 2, 500);
        List<Delivery> other = run(new LinkEmulator(c.withSeed(100), 1500), 5000, MS / 2, 500);
        assertEquals(a, b);
        assertTrue(!a.equals(other), "another seed gives another outcome");
    }

    @Test
    void outputBufferIsACopyOfTheInput() {
        LinkEmulator em = new LinkEmulator(Config.none().withDelay(MS, 0), 1500);
        ByteBuffer in = ByteBuffer.allocate(50);
        in.position(10).limit(40);
        in.put(10, (byte) 42);
        em.offer(in, 0);
        in.put(10, (byte) 0);
        assertEquals(10, in.position());
        ByteBuffer out = em.poll(MS);
        assertEquals(30, out.remaining());
        assertEquals(42, out.get(0));
    }
}
