package io.jmptcp.core.tcp;

import io.jmptcp.core.mib.TcpMib;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.cc.Reno;
import io.jmptcp.core.sim.BulkApp;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.TcpPair;
import org.junit.jupiter.api.Test;

/** Efficiency and loss-recovery sanity on the simulator (issue 3, "What it must show"). */
class PerformanceTest {

    record OneWay(TcpPair pair, double goodputBps, long doneMicros) {
    }

    static OneWay oneWay(TcpConfig cfg, Link.Config data, Link.Config acks, long bytes, long seed) {
        TcpPair p = new TcpPair(cfg, cfg.copy(), data, acks, seed);
        BulkApp sender = new BulkApp(bytes, seed + 100);
        BulkApp receiver = new BulkApp(0, seed + 200);
        TcpPair.Result r = p.run(sender, receiver, 3_600_000_000L);
        System.out.println(r + "\n  client=" + p.client.connection() + "\n  clientMib=" + p.clientMib
                + "\n  serverMib=" + p.serverMib);
        assertTrue(r.completed(), "transfer completed");
        assertEquals(bytes, receiver.received());
        assertArrayEquals(sender.sentDigest(), receiver.receivedDigest());
        long done = receiver.lastByteTime();
        return new OneWay(p, bytes * 8.0 * 1e6 / done, done);
    }

    @Test
    void cleanHundredMegabitLinkReachesNinetyPercentWithoutRetransmissions() {
        // 100 Mbit/s, 20 ms RTT; the receive buffer (1 MiB) lets the window cover the
        // bandwidth-delay product (250 kB) while the 1000-packet queue absorbs the rest.
        TcpConfig cfg = new TcpConfig().receiveBuffer(1 << 20).timeWaitMicros(1_000_000);
        Link.Config l = new Link.Config().rate(100_000_000L).delay(10_000).queue(1000);
        OneWay w = oneWay(cfg, l, l, 32L << 20, 21);
        System.out.printf("goodput %.2f Mbit/s%n", w.goodputBps / 1e6);
        assertTrue(w.goodputBps >= 0.90 * 100e6, "goodput " + w.goodputBps / 1e6 + " Mbit/s");
        assertEquals(0, w.pair.clientMib.get(TcpMib.RETRANS_SEGS), "no retransmissions");
        assertEquals(0, w.pair.clientMib.get(TcpMib.RTO_EXPIRED));
    }

    @Test
    void renoAtOnePercentLossStaysInTheMathisBand() {
        // Mathis et al. 1997: BW = MSS / RTT * C / sqrt(p), C = sqrt(3/2) with an ACK per segment,
        // sqrt(3/4) with delayed ACKs. Sanity band: half the lower to twice the upper prediction.
        TcpConfig cfg = new TcpConfig().congestionControl(Reno.FACTORY).timeWaitMicros(1_000_000);
        Link.Config data = new Link.Config().rate(100_000_000L).delay(25_000).queue(1000).loss(0.01);
        Link.Config acks = new Link.Config().rate(100_000_000L).delay(25_000).queue(1000);
        OneWay w = oneWay(cfg, data, acks, 16L << 20, 22);
        double mss = w.pair.client.connection().effectiveMss();
        double rtt = 0.050;
        double p = 0.01;
        double low = mss * 8 / rtt * Math.sqrt(0.75) / Math.sqrt(p);
        double high = mss * 8 / rtt * Math.sqrt(1.5) / Math.sqrt(p);
        System.out.printf("goodput %.3f Mbit/s, Mathis %.3f..%.3f Mbit/s%n", w.goodputBps / 1e6, low / 1e6, high / 1e6);
        assertTrue(w.goodputBps >= 0.5 * low && w.goodputBps <= 2 * high,
                "goodput " + w.goodputBps / 1e6 + " Mbit/s outside [" + 0.5 * low / 1e6 + ", " + 2 * high / 1e6 + "]");
        assertTrue(w.pair.clientMib.get(TcpMib.FAST_RETRANS) > 0, "losses were repaired by fast recovery");
    }
}
