package io.jmptcp.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.tcp.TcpConfig;
import org.junit.jupiter.api.Test;

/** The same seed gives the same trace; another seed gives another one. */
class DeterminismTest {
    static TcpPair.Result run(long seed) {
        Link.Config l = new Link.Config().rate(50_000_000L).delay(5_000).queue(200).loss(0.02).duplicate(0.01)
                .reorder(0.05, 4).jitter(2_000);
        TcpConfig cfg = new TcpConfig().timeWaitMicros(1_000_000);
        TcpPair p = new TcpPair(cfg, cfg, l, l, seed);
        TcpPair.Result r = p.run(new BulkApp(2 << 20, seed), new BulkApp(2 << 20, seed + 1), 600_000_000L);
        assertTrue(r.completed());
        return r;
    }

    @Test
    void sameSeedSameTrace() {
        TcpPair.Result a = run(42);
        TcpPair.Result b = run(42);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.events(), b.events());
        assertEquals(a.simMicros(), b.simMicros());
        TcpPair.Result c = run(43);
        assertNotEquals(a.traceHash(), c.traceHash());
    }

    @Test
    void linkServesAtItsRateAndDropsTail() {
        NetSim sim = new NetSim();
        java.util.List<Long> arrivals = new java.util.ArrayList<>();
        Link link = new Link(sim, 1, new Link.Config().rate(8_000_000L).delay(1_000).queue(3), 1,
                pk -> arrivals.add(sim.now()));
        var h = new io.jmptcp.core.wire.TcpHeader(1, 2, 0, 0, 0, 0, 0, 0, java.util.List.of());
        io.jmptcp.core.tcp.Segment s = io.jmptcp.core.tcp.Segment.of(h);
        byte[] bytes = Packet.encode(new io.jmptcp.core.tcp.FourTuple(TcpPair.addr(10, 0, 0, 1), 1,
                TcpPair.addr(10, 0, 0, 2), 2), s);
        for (int i = 0; i < 5; i++) {
            link.send(new Packet(0, bytes, 1000)); // 1000 bytes at 8 Mbit/s = 1 ms each
        }
        sim.runTo(100_000);
        // Queue of 3: the first three are accepted (one in service counts), two dropped.
        assertEquals(3, arrivals.size());
        assertEquals(2, link.droppedQueue);
        assertEquals(java.util.List.of(2_000L, 3_000L, 4_000L), arrivals);
    }
}
