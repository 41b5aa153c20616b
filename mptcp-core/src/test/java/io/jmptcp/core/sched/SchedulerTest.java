package io.jmptcp.core.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each scheduler's decision on hand-built subflow and connection states. */
class SchedulerTest {
    static final int MSS = 1000;

    record Sub(boolean usable, boolean backup, long srttMicros, long rttvarMicros, long cwnd, long inFlight, int mss,
               long sendSpace) implements SchedSubflow {
        /** A usable regular subflow with this RTT and room, its window and flight made to match. */
        static Sub of(long srtt, long space) {
            return new Sub(true, false, srtt, srtt / 4, 10L * MSS, Math.max(0, 10L * MSS - space), MSS, space);
        }

        Sub backup(boolean b) {
            return new Sub(usable, b, srttMicros, rttvarMicros, cwnd, inFlight, mss, sendSpace);
        }

        Sub unusable() {
            return new Sub(false, backup, srttMicros, rttvarMicros, cwnd, inFlight, mss, sendSpace);
        }

        Sub window(long cwndBytes, long flight) {
            return new Sub(usable, backup, srttMicros, rttvarMicros, cwndBytes, flight, mss, sendSpace);
        }
    }

    record Conn(List<Sub> subflows, long windowLeft, long sendWindow, long unsent) implements SchedConnection {
        /** Plenty of window and data: the decisions depend on the subflows alone. */
        static Conn of(Sub... subs) {
            return new Conn(List.of(subs), 1 << 30, 1 << 30, 1 << 30);
        }
    }

    static Decision on(long bytes, int... subflows) {
        return new Decision(subflows, bytes);
    }

    // ---- the interface -----------------------------------------------------------------------

    @Test
    void everyNameMakesItsSchedulerAndOthersAreRefused() {
        for (String n : Scheduler.NAMES) {
            assertEquals(n, Scheduler.byName(n).name());
        }
        assertEquals("minrtt", Scheduler.NAMES.get(0), "the default first");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scheduler.byName("otias"));
        assertTrue(e.getMessage().contains("ecf"), e.getMessage());
    }

    @Test
    void aDecisionIsSubflowsAndBytesOrWait() {
        assertTrue(Decision.WAIT.isWait());
        assertEquals(-1, Decision.WAIT.first());
        assertEquals(Decision.WAIT, Decision.on(-1, 100));
        assertEquals(Decision.WAIT, Decision.on(2, 0));
        assertEquals(on(100, 2), Decision.on(2, 100));
        assertThrows(IllegalArgumentException.class, () -> new Decision(new int[0], 5));
        assertThrows(IllegalArgumentException.class, () -> new Decision(new int[] {1}, -1));
    }

    @Test
    void newDataComesInWholeSegmentsWithinTheWindowAndWhatIsUnsent() {
        Sub s = Sub.of(10_000, 7_500);
        assertEquals(7_000, Scheduler.newDataBytes(s, Conn.of(s)), "whole segments of the send space");
        assertEquals(300, Scheduler.newDataBytes(s, new Conn(List.of(s), 1 << 20, 1 << 20, 300)),
                "the last bytes written, less than a segment");
        assertEquals(2_500, Scheduler.newDataBytes(s, new Conn(List.of(s), 2_500, 9_000, 10_000)),
                "up to the window's edge");
        assertEquals(0, Scheduler.newDataBytes(s, new Conn(List.of(s), 0, 9_000, 10_000)), "the window is closed");
        Sub big = Sub.of(10_000, 1 << 20);
        assertEquals(Scheduler.MAX_CHUNK - Scheduler.MAX_CHUNK % MSS, Scheduler.newDataBytes(big, Conn.of(big)));
    }

    // ---- minrtt --------------------------------------------------------------------------------

    @Test
    void minRttPicksTheFastestSubflowWithRoom() {
        Scheduler s = new MinRttScheduler();
        assertEquals(on(3_000, 1), s.send(Conn.of(Sub.of(40_000, 5_000), Sub.of(10_000, 3_000))));
        assertEquals(on(5_000, 0), s.send(Conn.of(Sub.of(40_000, 5_000), Sub.of(10_000, 0))),
                "the fast one is full: use the slow one");
        assertEquals(Decision.WAIT, s.send(Conn.of(Sub.of(40_000, 0), Sub.of(10_000, 5_000).unusable())));
        assertEquals(on(3_000, 1), s.send(Conn.of(Sub.of(40_000, 5_000), Sub.of(0, 3_000))),
                "no RTT sample yet counts as fastest: the new subflow gets its first sample");
        assertEquals(Decision.WAIT, s.send(new Conn(List.of(Sub.of(10_000, 5_000)), 0, 50_000, 8_000)),
                "the connection window is full");
    }

    @Test
    void retransmissionsGoToTheFastestSubflowWithRoomWithinTheirLength() {
        Scheduler s = new MinRttScheduler();
        Conn c = Conn.of(Sub.of(40_000, 5_000), Sub.of(10_000, 3_000));
        assertEquals(on(2_000, 1), s.retransmit(c, 2_000));
        assertEquals(on(3_000, 1), s.retransmit(c, 9_000), "no more than its send space");
        assertEquals(Decision.WAIT, s.retransmit(Conn.of(Sub.of(40_000, 0)), 9_000));
    }

    @Test
    void backupsCarryDataOnlyWhenNoRegularSubflowIsUsable() {
        Sub regularFull = Sub.of(40_000, 0);
        Sub backup = Sub.of(1_000, 1_000).backup(true);
        for (String name : Scheduler.NAMES) {
            Scheduler s = Scheduler.byName(name);
            assertEquals(Decision.WAIT, s.send(Conn.of(regularFull, backup)),
                    name + ": a full regular subflow still rules out backups");
            assertEquals(Decision.WAIT, s.retransmit(Conn.of(regularFull, backup), 1_000), name);
            assertEquals(on(1_000, 1), s.send(Conn.of(Sub.of(40_000, 1_000).unusable(), backup)), name);
            assertEquals(on(1_000, 1), s.retransmit(Conn.of(Sub.of(40_000, 1_000).unusable(), backup), 5_000), name);
        }
    }

    // ---- roundrobin -----------------------------------------------------------------------------

    @Test
    void roundRobinTakesTurns() {
        Scheduler s = new RoundRobinScheduler();
        Conn c = Conn.of(Sub.of(1, 10_000), Sub.of(1, 10_000), Sub.of(1, 0));
        assertEquals(0, s.send(c).first());
        assertEquals(1, s.send(c).first());
        assertEquals(0, s.send(c).first(), "the third has no room, so it is skipped");
        assertEquals(on(500, 1), s.retransmit(c, 500), "retransmissions take the next turn too");
    }

    // ---- redundant ------------------------------------------------------------------------------

    @Test
    void redundantPutsTheSameBytesOnEveryRegularSubflowWithRoom() {
        Scheduler s = new RedundantScheduler();
        Sub a = Sub.of(10_000, 8_000);
        Sub b = Sub.of(200_000, 5_000);
        Sub full = Sub.of(50_000, 0);
        Sub backup = Sub.of(1_000, 9_000).backup(true);
        Decision d = s.send(Conn.of(a, full, b, backup));
        assertArrayEquals(new int[] {0, 2}, d.subflows(), "not the full one, not the backup");
        assertEquals(5_000, d.bytes(), "what each of them can take");
        assertEquals(on(8_000, 0), s.send(Conn.of(a, full)), "alone when the others are full");
        assertEquals(Decision.WAIT, s.send(Conn.of(full, backup)));
        assertEquals(on(2_000, 0, 1), s.retransmit(Conn.of(a, b), 2_000), "reinjected bytes on every one too");
        assertEquals(on(1_000, 0, 1), s.send(new Conn(List.of(a, b), 1_000, 50_000, 30_000)),
                "within the connection window");
        assertEquals(on(9_000, 1, 2), s.send(Conn.of(Sub.of(1, 9_000).unusable(), backup, backup)),
                "every backup when no regular subflow is usable");
    }

    // ---- ecf ------------------------------------------------------------------------------------

    /**
     * FAST_FULL and SLOW below, with k segments unsent and k in the window (so both tests count the
     * same k): RTT_f 10 ms, CWND_f 10, RTT_s 200 ms, CWND_s 60, delta = max(2.5, 50) = 50 ms; so
     * n = 1 + k / 10 and the two tests are n * 10 &lt; (1 + 0.25 * waiting) * 250 and
     * max(1, k / 60) * 200 &gt;= 70 (ms).
     */
    static Conn ecfConn(long k) {
        return new Conn(List.of(FAST_FULL, SLOW), k * MSS, k * MSS, k * MSS);
    }

    @Test
    void ecfWaitsForTheFastSubflowWhenThatFinishesSooner() {
        // k = 1000: n = 101, 1010 ms >= 250 ms: the slow subflow is worth using.
        assertEquals(on(50_000, 1), new EcfScheduler().send(ecfConn(1000)));
        // k = 30: n = 4, 40 < 250; 30 / 60 * 200 = 100 >= 70: wait.
        assertEquals(Decision.WAIT, new EcfScheduler().send(ecfConn(30)));
        // k = 20: n = 3, 30 < 250. The paper's 20 / 60 * 200 = 66.7 < 70 would send the end of
        // the transfer on the slow subflow, but it arrives no sooner than one RTT_s: 200 >= 70, wait.
        assertEquals(Decision.WAIT, new EcfScheduler().send(ecfConn(20)));
        assertEquals(on(20_000, 1), new MinRttScheduler().send(ecfConn(20)), "where minRTT sends");
    }

    /**
     * A subflow only a little slower than FAST_FULL: RTT 25 ms, RTTVAR 6.25, CWND 60, so delta =
     * 6.25 ms and the tests are n * 10 &lt; 31.25 and max(1, K / 60) * 25 &gt;= 26.25 (ms).
     */
    static final Sub NEAR = Sub.of(25_000, 50_000).window(60L * MSS, 10L * MSS);

    @Test
    void ecfSendsTheEndOfTheTransferOnASubflowThatFinishesItInTime() {
        // 10 segments left, all in the window: n = 2, 20 < 31.25; max(1, 10 / 60) * 25 = 25 < 26.25.
        assertEquals(on(10_000, 1), new EcfScheduler().send(new Conn(List.of(FAST_FULL, NEAR), 10 * MSS, 50 * MSS,
                10 * MSS)));
    }

    @Test
    void ecfDoesNotTakeANearlyFullWindowForTheEndOfTheTransfer() {
        // NEAR, 2 segments of window left, 1000 unsent: n = 1 + 2 / 10, 12 < 31.25, so the fast
        // subflow would send what fits sooner. The second test is about what is left of the
        // transfer: all 1000 segments, 1000 / 60 * 25 = 417 >= 26.25: wait. (With the window-bounded
        // k of the first test, max(1, 2 / 60) * 25 = 25 < 26.25 would put those 2 segments on the
        // slower subflow, where they hold the window's left edge for its RTT.)
        assertEquals(Decision.WAIT, new EcfScheduler().send(new Conn(List.of(FAST_FULL, NEAR), 2 * MSS, 50 * MSS,
                1000 * MSS)));
        assertEquals(on(2_000, 1), new MinRttScheduler().send(new Conn(List.of(FAST_FULL, NEAR), 2 * MSS, 50 * MSS,
                1000 * MSS)), "where minRTT sends");
        // SLOW (200 ms), 2 segments of window, 1000 unsent: 3333 >= 70, wait.
        assertEquals(Decision.WAIT, new EcfScheduler().send(new Conn(List.of(FAST_FULL, SLOW), 2 * MSS, 50 * MSS,
                1000 * MSS)));
        // A large window: the first test alone decides, as before (k = 500 fits: n = 51, 510 >= 250).
        assertEquals(on(50_000, 1), new EcfScheduler().send(new Conn(List.of(FAST_FULL, SLOW), 500 * MSS, 500 * MSS,
                1000 * MSS)));
    }

    @Test
    void ecfHysteresisKeepsAWaitingDecision() {
        // k = 270: n = 28, 280 ms: not below 250 (send), but below 1.25 * 250 = 312.5 once waiting.
        EcfScheduler s = new EcfScheduler();
        assertEquals(on(50_000, 1), s.send(ecfConn(270)), "not waiting: 280 >= 250");
        assertEquals(Decision.WAIT, s.send(ecfConn(30)), "now waiting");
        assertEquals(Decision.WAIT, s.send(ecfConn(270)), "waiting: 280 < 312.5, and 900 >= 70");
        assertEquals(on(50_000, 1), s.send(ecfConn(1000)), "1010 >= 312.5: stop waiting");
        assertEquals(on(50_000, 1), s.send(ecfConn(270)), "not waiting again");
    }

    @Test
    void ecfIsMinRttWhenTheFastSubflowHasRoomOrNothingIsKnown() {
        Sub fastRoom = Sub.of(10_000, 4_000);
        assertEquals(on(4_000, 0), new EcfScheduler().send(new Conn(List.of(fastRoom, SLOW), 30_000, 30_000, 30_000)));
        Sub fastNoSample = new Sub(true, false, 0, 0, 10L * MSS, 10L * MSS, MSS, 0);
        assertEquals(on(30_000, 1), new EcfScheduler().send(new Conn(List.of(fastNoSample, SLOW), 30_000, 30_000,
                30_000)), "no RTT on the fast one: no basis to wait");
    }

    // ---- blest ----------------------------------------------------------------------------------

    /** Fast: 10 ms, a window of 10 segments, full. Slow: 200 ms, room for 50 segments. */
    static final Sub FAST_FULL = Sub.of(10_000, 0).window(10L * MSS, 10L * MSS);
    static final Sub SLOW = Sub.of(200_000, 50_000).window(60L * MSS, 10L * MSS);
    /**
     * X of the paper for these: n = 200 / 10 = 20 RTTs of the fast subflow, so
     * X = 10 000 * 20 + 1 000 * 20 * 19 / 2 = 390 000 bytes.
     */
    static final long X = 390_000;

    static Conn blestConn(long sendWindow) {
        return new Conn(List.of(FAST_FULL, SLOW), sendWindow, sendWindow, 1 << 20);
    }

    @Test
    void blestEstimatesWhatTheFastSubflowSendsDuringTheSlowOnesRtt() {
        assertEquals(X, BlestScheduler.fastBytesDuring(FAST_FULL, 200_000), 1e-6);
        assertEquals(10_000, BlestScheduler.fastBytesDuring(FAST_FULL, 10_000), 1e-6, "one RTT: one window");
    }

    @Test
    void blestUsesTheSlowSubflowOnlyForWhatTheWindowCanSpare() {
        Scheduler s = new BlestScheduler();
        long inflightSlow = SLOW.inFlight();
        assertEquals(on(50_000, 1), s.send(blestConn(X + inflightSlow + 80_000)),
                "a large window: the slow subflow gets all it can take");
        assertEquals(on(12_000, 1), s.send(blestConn(X + inflightSlow + 12_500)),
                "a smaller one: only what is left after the fast subflow's estimate, in whole segments");
        assertEquals(Decision.WAIT, s.send(blestConn(X + inflightSlow + 999)),
                "less than a segment left: wait for the fast subflow");
        assertEquals(Decision.WAIT, s.send(blestConn(256 * 1024)), "a 256 KiB window: the slow subflow would block it");
        assertEquals(on(50_000, 1), new MinRttScheduler().send(blestConn(256 * 1024)), "where minRTT sends");
    }

    @Test
    void blestLambdaScalesTheEstimate() {
        long w = X + SLOW.inFlight() + 20_000;
        assertEquals(on(20_000, 1), new BlestScheduler(1.0).send(blestConn(w)));
        assertEquals(Decision.WAIT, new BlestScheduler(1.1).send(blestConn(w)), "10 % more: 39 000 bytes more");
        assertEquals(on(50_000, 1), new BlestScheduler(0.8).send(blestConn(w)));
        assertThrows(IllegalArgumentException.class, () -> new BlestScheduler(0));
    }

    @Test
    void blestIsMinRttWhenTheFastSubflowHasRoomOrNothingIsKnown() {
        Scheduler s = new BlestScheduler();
        Sub fastRoom = Sub.of(10_000, 4_000);
        assertEquals(on(4_000, 0), s.send(new Conn(List.of(fastRoom, SLOW), 20_000, 20_000, 1 << 20)));
        Sub unsampled = Sub.of(0, 0);
        assertEquals(on(20_000, 1), s.send(new Conn(List.of(unsampled, SLOW), 20_000, 20_000, 1 << 20)),
                "no RTT on the fast subflow: no estimate, the slow one fills the window as with minRTT");
        assertEquals(on(500, 1), s.send(new Conn(List.of(FAST_FULL, SLOW), 1 << 20, 1 << 20, 500)),
                "the last bytes, less than a segment, when the window has room");
        assertEquals(on(3_000, 1), s.retransmit(blestConn(256 * 1024), 3_000), "reinjection as minRTT");
    }
}
