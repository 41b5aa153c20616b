package io.jmptcp.core.mptcp;

import static io.jmptcp.core.sim.MultiPathNet.addr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.sched.Decision;
import io.jmptcp.core.sched.SchedConnection;
import io.jmptcp.core.sched.SchedSubflow;
import io.jmptcp.core.sched.Scheduler;
import io.jmptcp.core.sim.Link;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The schedulers on virtual time, issue 11's properties. Heterogeneous paths (10 ms and 200 ms
 * RTT, 50 Mbit/s each) with a 256 KiB connection-level receive buffer: BLEST gets more goodput
 * than minRTT and minRTT more than round-robin; opportunistic retransmission with penalisation
 * raises minRTT's goodput. Redundant with 2 % loss on one path: the 99th percentile latency of
 * 1 KiB request/response messages every 10 ms is lower than with minRTT.
 */
class SchedulerSimTest {
    static final long RATE = 50_000_000;
    static final int RCVBUF = 256 * 1024;
    static final long WARMUP = 3_000_000;
    static final long MEASURE = 10_000_000;

    static Link.Config link(long oneWayMicros, int queue) {
        return new Link.Config().rate(RATE).delay(oneWayMicros).queue(queue);
    }

    /** One heterogeneous run: goodput, bytes on the slow subflow, the counters. */
    record Run(double bps, long slowBytes, long oppRetrans, long penalties) {
    }

    static double heterogeneousGoodput(String sched, boolean opp, long seed) {
        return heterogeneous(sched, opp, seed).bps;
    }

    /**
     * Client-to-server bulk transfer over a 10 ms and a 200 ms RTT path of {@link #RATE} each, the
     * server's receive buffer {@link #RCVBUF}: goodput in bit/s over {@link #MEASURE} after the
     * join and a warm-up.
     */
    static Run heterogeneous(String sched, boolean opp, long seed) {
        // Queues of one BDP (at least 20 packets): the fast path stays fast.
        int qf = (int) Math.max(20, RATE / 8 * 10_000 / 1_000_000 / 1500);
        int qs = (int) Math.max(20, RATE / 8 * 200_000 / 1_000_000 / 1500);
        return heterogeneous(sched, opp, seed, new Bed(RATE, qf, qs, 0, RCVBUF, 0)).run;
    }

    /**
     * A run and the scheduler's {@code send} decisions that put new data on the slower subflow:
     * those taken while more was unsent than the connection window had left, by that window left in
     * segments ([0, 2], (2, 10], (10, 40], more), and the others (the end of the data).
     */
    record CountedRun(Run run, long[] slowSendsByWindowLeft, long slowSendsAtTheEnd) {
        long slowSends() {
            return java.util.Arrays.stream(slowSendsByWindowLeft).sum() + slowSendsAtTheEnd;
        }
    }

    /** Counts the {@code send} decisions that put new data on a subflow slower than the fastest usable one. */
    static final class CountingScheduler implements Scheduler {
        final Scheduler inner;
        final long[] slowSendsByWindowLeft = new long[4];
        long slowSendsAtTheEnd;
        String last = "none";

        CountingScheduler(Scheduler inner) {
            this.inner = inner;
        }

        @Override
        public Decision send(SchedConnection c) {
            Decision d = inner.send(c);
            last = d + " with " + c.unsent() + " unsent, " + c.windowLeft() + " window left";
            int f = Scheduler.fastestUsable(c.subflows());
            if (!d.isWait() && f >= 0 && c.subflows().get(d.first()).srttMicros() > c.subflows().get(f).srttMicros()) {
                long segs = c.windowLeft() / c.subflows().get(f).mss();
                if (c.unsent() > c.windowLeft()) {
                    slowSendsByWindowLeft[segs <= 2 ? 0 : segs <= 10 ? 1 : segs <= 40 ? 2 : 3]++;
                } else {
                    slowSendsAtTheEnd++;
                }
            }
            return d;
        }

        @Override
        public Decision retransmit(SchedConnection c, long bytes) {
            return inner.retransmit(c, bytes);
        }

        @Override
        public String name() {
            return inner.name();
        }
    }

    /**
     * A 10 ms and a 200 ms RTT path of {@code rate} bit/s each, with queues of {@code qf} and {@code qs}
     * packets, random loss {@code lossFast} each way on the fast one, the server's receive buffer
     * {@code rcvbuf}; {@code bytes} to upload, 0 for a bulk transfer measured after the join and a warm-up.
     */
    record Bed(long rate, int qf, int qs, double lossFast, int rcvbuf, long bytes) {
    }

    /**
     * {@link #heterogeneous(String, boolean, long)} on {@code bed}; for a finite upload the goodput
     * is from its first byte at the receiver to its last, as {@code bench-cc.py hetero} measures it.
     */
    static CountedRun heterogeneous(String sched, boolean opp, long seed, Bed bed) {
        long rate = bed.rate;
        CountingScheduler[] counting = new CountingScheduler[1];
        MptcpConfig c = new MptcpConfig().scheduler(() -> counting[0] = new CountingScheduler(Scheduler.byName(sched)))
                .opportunisticRetransmission(opp);
        MptcpConfig s = new MptcpConfig().receiveBuffer(bed.rcvbuf);
        MptcpSim sim = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), c, s,
                bed.bytes > 0 ? bed.bytes : 1L << 40, 0, seed);
        Link.Config fastUp = new Link.Config().rate(rate).delay(5_000).queue(bed.qf).loss(bed.lossFast);
        Link.Config fastDown = new Link.Config().rate(rate).delay(5_000).queue(bed.qf).loss(bed.lossFast);
        Link.Config slowUp = new Link.Config().rate(rate).delay(100_000).queue(bed.qs);
        Link.Config slowDown = new Link.Config().rate(rate).delay(100_000).queue(bed.qs);
        sim.net.addPath(addr("10.0.1.1"), addr("10.0.9.1"), fastUp, fastDown);
        sim.net.addPath(addr("10.0.2.1"), addr("10.0.9.1"), slowUp, slowDown);
        sim.clientApp.holdOpen = true;
        sim.serverApp.holdOpen = true;
        sim.connect("10.0.9.1");
        double bps;
        if (bed.bytes > 0) {
            assertTrue(sim.run(() -> sim.serverApp.received > 0, 5_000_000), () -> "nothing received: " + sim.clientConn);
            long t0 = sim.net.sim.now();
            assertTrue(sim.run(() -> sim.serverApp.received == bed.bytes, 120_000_000),
                    () -> sim.serverApp.received + " of " + bed.bytes + " received: " + sim.clientConn + " "
                            + sim.clientConn.subflows().stream().map(x -> "srtt " + x.srttMicros() + " cwnd " + x.cwnd()
                            + " flight " + x.inFlight() + " space " + x.sendSpace() + " peer window " + x.tcp.sendWindow()).toList()
                            + ", the scheduler's last decision: " + counting[0].last);
            bps = bed.bytes * 8.0 / ((sim.net.sim.now() - t0) / 1e6);
        } else {
            assertTrue(sim.run(() -> sim.net.client.mib().get(MptcpMib.MPJoinFourthAckRx) == 1, 5_000_000),
                    () -> "no join: " + sim.clientConn);
            sim.net.sim.runTo(sim.net.sim.now() + WARMUP);
            long r0 = sim.serverApp.received;
            sim.net.sim.runTo(sim.net.sim.now() + MEASURE);
            bps = (sim.serverApp.received - r0) * 8.0 / (MEASURE / 1e6);
        }
        assertEquals(2, sim.clientConn.subflows().size());
        MptcpSubflow slow = sim.clientConn.subflows().get(1);
        assertEquals(addr("10.0.2.1"), slow.localAddress());
        Run run = new Run(bps, slow.queued(), sim.net.client.mib().get(MptcpMib.OpportunisticRetrans),
                sim.net.client.mib().get(MptcpMib.Penalisation));
        CountedRun counted = new CountedRun(run, counting[0].slowSendsByWindowLeft.clone(),
                counting[0].slowSendsAtTheEnd);
        System.out.printf("heterogeneous %s, opportunistic %s, %s, seed %d: %.2f Mbit/s, %d bytes on the slow subflow,"
                + " %d opportunistic retransmissions, %d penalties, %d sends on the slow subflow: by window left %s,"
                + " %d at the end of the data%n", sched, opp, bed, seed, bps / 1e6, run.slowBytes, run.oppRetrans,
                run.penalties, counted.slowSends(), java.util.Arrays.toString(counted.slowSendsByWindowLeft),
                counted.slowSendsAtTheEnd);
        return counted;
    }

    /** {p50, p99} of request/response latency in microseconds. */
    static long[] requestResponse(String sched, long seed) {
        MptcpConfig c = new MptcpConfig().scheduler(() -> Scheduler.byName(sched));
        MptcpConfig s = new MptcpConfig().scheduler(() -> Scheduler.byName(sched));
        MptcpSim sim = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), c, s, 0, 0, seed);
        // Path 1, the faster one (20 ms RTT) and so minRTT's choice, loses 2 % of packets each way.
        Link.Config lossy = new Link.Config().rate(10_000_000).delay(10_000).queue(100).loss(0.02);
        Link.Config lossyBack = new Link.Config().rate(10_000_000).delay(10_000).queue(100).loss(0.02);
        sim.net.addPath(addr("10.0.1.1"), addr("10.0.9.1"), lossy, lossyBack);
        Link.Config clean = new Link.Config().rate(10_000_000).delay(15_000).queue(100);
        Link.Config cleanBack = new Link.Config().rate(10_000_000).delay(15_000).queue(100);
        sim.net.addPath(addr("10.0.2.1"), addr("10.0.9.1"), clean, cleanBack); // 30 ms RTT, no loss
        RequestResponseApp app = new RequestResponseApp(sim.net.sim, sim.net.client, 1024, 10_000, 3000);
        sim.net.client.setApp(now -> app.pumpClient());
        sim.net.server.setApp(now -> {
            if (app.server == null && !sim.net.server.accepted.isEmpty()) {
                app.server = sim.net.server.accepted.get(0);
            }
            app.pumpServer();
        });
        sim.connect("10.0.9.1");
        app.client = sim.clientConn;
        assertTrue(sim.run(() -> sim.clientConn.state() == Connection.State.ESTABLISHED, 5_000_000));
        app.start(); // the first answer's DATA_ACK makes the client fully established: it joins
        assertTrue(sim.run(() -> sim.net.client.mib().get(MptcpMib.MPJoinFourthAckRx) == 1
                && sim.net.server.mib().get(MptcpMib.MPJoinAckRx) == 1, 5_000_000), () -> "no join: " + sim.clientConn);
        sim.net.sim.runTo(sim.net.sim.now() + 1_000_000);
        app.measureFromNext();
        assertTrue(sim.run(app::done, 120_000_000), () -> app.latencies.size() + " of " + app.count + " answered");
        long[] q = {app.quantile(0.5), app.quantile(0.99)};
        long dup = sim.net.server.mib().get(MptcpMib.DuplicateData) + sim.net.client.mib().get(MptcpMib.DuplicateData);
        if (sched.equals("redundant")) {
            // Both copies of (nearly) every message arrive; the receivers trim the second.
            assertTrue(dup > (long) app.latencies.size() * app.size, () -> "duplicate bytes " + dup);
        } else {
            // No copies by design; only the failover reinjection may resend a message or two that
            // waited on the lossy path past its silence limit (instead of an RTO).
            assertTrue(dup <= 4L * app.size, () -> "duplicate bytes " + dup);
        }
        System.out.printf("request/response %-10s seed %d: %d messages, p50 %.1f ms, p99 %.1f ms, max %.1f ms, duplicates %d/%d%n",
                sched, seed, app.latencies.size(), q[0] / 1e3, q[1] / 1e3, app.quantile(1) / 1e3,
                sim.net.server.mib().get(MptcpMib.DuplicateData), sim.net.client.mib().get(MptcpMib.DuplicateData));
        return q;
    }

    @Test
    void blestAndEcfBeatMinRttAndMinRttBeatsRoundRobinOnHeterogeneousPaths() {
        // The schedulers alone (no opportunistic retransmission): minRTT fills the slow path's
        // window too and that data holds the 256 KiB window for 200 ms; round-robin puts even more
        // there; BLEST sees that the fast path would use the window in that time and waits for it.
        double blest = heterogeneousGoodput("blest", false, 1);
        double minrtt = heterogeneousGoodput("minrtt", false, 1);
        double rr = heterogeneousGoodput("roundrobin", false, 1);
        assertTrue(blest > 2 * minrtt, () -> "blest " + blest + " minrtt " + minrtt);
        assertTrue(minrtt > 1.05 * rr, () -> "minrtt " + minrtt + " roundrobin " + rr);
        assertTrue(blest > 0.85 * RATE, () -> "blest " + blest + ": at least the fast path alone");
        double ecf = heterogeneousGoodput("ecf", false, 1);
        assertTrue(ecf > 2 * minrtt, () -> "ecf " + ecf + " minrtt " + minrtt);
        assertTrue(ecf > 0.85 * RATE, () -> "ecf " + ecf + ": at least the fast path alone");
        // With opportunistic retransmission and penalisation (the default) BLEST still leads.
        double minrttOpp = heterogeneousGoodput("minrtt", true, 1);
        double blestOpp = heterogeneousGoodput("blest", true, 1);
        assertTrue(blestOpp > 1.15 * minrttOpp, () -> "blest " + blestOpp + " minrtt " + minrttOpp);
    }

    /** 20 Mbit/s paths with 10 ms of queue each (16 packets), as the netns bed's {@code hetero --queue-ms 10}. */
    static final long BED_RATE = 20_000_000;
    static final int BED_QUEUE = (int) (BED_RATE / 8 * 10_000 / 1_000_000 / 1500);

    @Test
    void ecfWaitsForTheFastSubflowWhenTheWindowIsNearlyFull() {
        // 8 MiB uploads over 20 Mbit/s paths with 10 ms of queue, as on the netns bed, a window of
        // 96 KiB (the fast path's cwnd stays about 30-70 KB with drop-tail losses) and 0.2 % random
        // loss on the fast path (so the seeds differ). The window fills whenever a loss on the fast
        // subflow holds its left edge; ECF must not then take the segment or two left for the end of
        // the transfer and put them on the 200 ms subflow (it did before its second test counted
        // everything unsent: 10-13 such sends a run).
        Bed bed = new Bed(BED_RATE, BED_QUEUE, BED_QUEUE, 0.002, 96 * 1024, 8 << 20);
        for (long seed = 1; seed <= 3; seed++) {
            CountedRun ecf = heterogeneous("ecf", true, seed, bed);
            CountedRun minrtt = heterogeneous("minrtt", true, seed, bed);
            heterogeneous("blest", true, seed, bed);
            heterogeneous("roundrobin", true, seed, bed);
            long s = seed;
            assertEquals(0, ecf.slowSendsByWindowLeft[0] + ecf.slowSendsByWindowLeft[1],
                    () -> "seed " + s + ": ecf sent on the slow subflow with 10 segments of window or less left");
            // Nor the end of the data: the last few segments arrive sooner on the fast subflow
            // (before ECF charged the slow one at least its RTT there: 2 sends a run, 6-9 KB).
            assertEquals(0, ecf.slowSendsAtTheEnd,
                    () -> "seed " + s + ": ecf sent the end of the data on the slow subflow");
            assertTrue(ecf.run.bps > 1.15 * minrtt.run.bps, () -> "seed " + s + ": ecf " + ecf.run.bps
                    + " minrtt " + minrtt.run.bps);
        }
    }

    @Test
    void ecfStillAggregatesWithALargeWindow() {
        // The same paths with a 4 MiB window, more than both BDPs (25 KB and 500 KB), and a slow
        // path whose queue lets its cwnd reach its BDP: ECF must use both, as the paper's first test
        // says when the fast subflow would need longer than the slow one's RTT for what fits.
        Bed bed = new Bed(BED_RATE, BED_QUEUE, 320, 0, 4 << 20, 0);
        CountedRun ecf = heterogeneous("ecf", true, 1, bed);
        assertTrue(ecf.run.bps > 1.5 * BED_RATE, () -> "ecf " + ecf.run.bps + ": not more than one path carries");
    }

    @Test
    void opportunisticRetransmissionAndPenalisationRaiseGoodputWithASmallBuffer() {
        Run off = heterogeneous("minrtt", false, 1);
        Run on = heterogeneous("minrtt", true, 1);
        // 1.8 x here. A penalty in slow start keeps ssthresh, as in the out-of-tree kernel, so the
        // slow subflow slow-starts back after each halving and still carries as many bytes as
        // without (ending slow start instead gave more here, but left a fast high-RTT path at a few
        // segments when the peer's window was small only at the start: issue 11, aggregation case 5).
        assertTrue(on.bps > 1.5 * off.bps, () -> "on " + on.bps + " off " + off.bps);
        assertEquals(0, off.oppRetrans + off.penalties);
        assertTrue(on.oppRetrans > 0 && on.penalties > 0, () -> on.oppRetrans + " " + on.penalties);
        assertTrue(on.penalties <= on.oppRetrans, "at most one penalty per retransmission");
    }

    @Test
    void redundantLowersTheTailLatencyWhenOnePathLoses() {
        for (long seed = 1; seed <= 2; seed++) {
            long[] minrtt = requestResponse("minrtt", seed);
            long[] redundant = requestResponse("redundant", seed);
            long m = minrtt[1];
            long r = redundant[1];
            assertTrue(r < 0.75 * m, "seed " + seed + ": p99 redundant " + r + " us, minrtt " + m + " us");
            // Without loss the clean path's RTT (30 ms) plus two 1 KiB messages bound it.
            assertTrue(r < 40_000, "seed " + seed + ": p99 redundant " + r + " us");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"minrtt", "roundrobin", "redundant", "blest", "ecf"})
    void everySchedulerDeliversEveryByteOnceInOrderOverTwoPaths(String sched) {
        long bytes = 2 << 20;
        MptcpConfig c = new MptcpConfig().scheduler(() -> Scheduler.byName(sched));
        MptcpConfig s = new MptcpConfig().scheduler(() -> Scheduler.byName(sched));
        MptcpSim sim = MptcpTransferSimTest.twoPaths(bytes, 5, c, s);
        MptcpTransferSimTest.joinThenRun(sim, 0);
        MptcpTransferSimTest.finish(sim, 60_000_000); // the SHA-256 of each stream matches
        assertEquals(sched, sim.clientConn.info().scheduler());
        for (MptcpConnection conn : List.of(sim.clientConn, sim.serverConn())) {
            for (MptcpSubflow sf : conn.subflows()) {
                assertTrue(sf.queued() > 0, () -> sched + ": nothing sent on " + sf);
            }
        }
    }
}
