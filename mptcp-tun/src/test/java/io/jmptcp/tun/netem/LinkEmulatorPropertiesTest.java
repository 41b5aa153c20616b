package io.jmptcp.tun.netem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Invariants of the link emulator over arbitrary settings and traffic. */
class LinkEmulatorPropertiesTest {
    private static final long MS = 1_000_000L;

    @Property(tries = 300)
    void everyPacketIsAccountedForAndNoneLeavesEarly(
            @ForAll @IntRange(min = 0, max = 50) int delayMs,
            @ForAll @IntRange(min = 0, max = 20) int jitterMs,
            @ForAll @DoubleRange(min = 0, max = 100) double loss,
            @ForAll @DoubleRange(min = 0, max = 100) double reorder,
            @ForAll @DoubleRange(min = 0, max = 100) double duplicate,
            @ForAll @IntRange(min = 0, max = 200) int rateMbit,
            @ForAll @IntRange(min = 1, max = 300) int limit,
            @ForAll @IntRange(min = 1, max = 400) int packets,
            @ForAll @LongRange(min = 0, max = 5 * MS) long spacing,
            @ForAll long seed) {
        LinkEmulator em = new LinkEmulator(new LinkEmulator.Config(delayMs * MS, jitterMs * MS, loss, reorder,
                duplicate, rateMbit, limit, seed), 1500);
        ByteBuffer p = ByteBuffer.allocate(1500);
        long[] offeredAt = new long[packets];
        long delivered = 0;
        long lastDue = Long.MIN_VALUE;
        for (int i = 0; i <= packets; i++) {
            long now = i < packets ? i * spacing : Long.MAX_VALUE - 1;
            while (em.nextDue() <= now) {
                long due = em.nextDue();
                assertTrue(due >= lastDue, "packets leave in order of due time");
                lastDue = due;
                ByteBuffer out = em.poll(due);
                int id = out.getInt(0);
                assertEquals(100 + id % 1000, out.remaining(), "the packet's own length");
                // Nothing leaves before it was offered, or before its delay unless reordered.
                assertTrue(due >= offeredAt[id], "left before it arrived");
                if (reorder == 0 && rateMbit == 0) {
                    assertTrue(due - offeredAt[id] >= Math.max(0, (delayMs - jitterMs) * MS), "left too early");
                }
                delivered++;
            }
            if (i < packets) {
                offeredAt[i] = now;
                p.clear().limit(100 + i % 1000);
                p.putInt(0, i);
                em.offer(p, now);
                assertTrue(em.size() <= limit, "held more than the limit");
            }
        }
        LinkEmulator.Stats s = em.stats();
        assertEquals(packets, s.offered());
        assertEquals(delivered, s.delivered());
        assertEquals(s.offered() + s.duplicated(), s.delivered() + s.lost() + s.overLimit() + s.oversize(),
                "offered + copies = delivered + dropped");
    }
}
