package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link ReceiveBufferTuner}: twice what the application reads per max RTT, capped, never shrinking. */
class ReceiveBufferTunerTest {
    static final long RTT = 50_000;

    @Test
    void growsToTwiceWhatIsReadInOneMaxRtt() {
        ReceiveBufferTuner t = new ReceiveBufferTuner(100_000, 1_000_000);
        t.onReceived(100_000);
        assertFalse(t.onRead(0, 80_000, RTT), "the period starts");
        assertFalse(t.onRead(49_999, 10_000, RTT), "within one RTT");
        assertTrue(t.onRead(50_000, 10_000, RTT), "100 000 bytes in one RTT: more than half the buffer");
        assertEquals(200_000, t.capacity());
        // The next period reads only 90 000 (less than half of 200 000): no growth.
        t.onReceived(90_000);
        assertFalse(t.onRead(60_000, 90_000, RTT));
        assertFalse(t.onRead(100_000, 0, RTT));
        assertEquals(200_000, t.capacity());
    }

    @Test
    void aWindowLimitedSenderDoublesItEachPeriodUpToTheCap() {
        ReceiveBufferTuner t = new ReceiveBufferTuner(128 << 10, 1 << 20);
        long now = 0;
        t.onRead(now, 0, RTT);
        for (int i = 0; i < 10; i++) {
            now += RTT;
            t.onReceived(t.capacity());
            t.onRead(now, t.capacity(), RTT); // the sender fills the buffer once per RTT
        }
        assertEquals(1 << 20, t.capacity(), "128 KiB -> 256 -> 512 -> 1024, then the cap");
        assertFalse(t.onRead(now + RTT, 1 << 21, RTT), "at the cap");
    }

    /**
     * A hole filled at last: the application reads at once what arrived over many periods. That
     * says nothing of the bandwidth (with paths that flap, every reinjection doubled the buffer,
     * up to the cap, and a peer may then commit a whole file to a path that is about to fail).
     */
    @Test
    void aBurstReadAfterAHoleIsFilledDoesNotGrowTheBuffer() {
        ReceiveBufferTuner t = new ReceiveBufferTuner(100_000, 1_000_000);
        t.onReceived(10_000);
        assertFalse(t.onRead(0, 0, RTT), "the period starts");
        t.onReceived(10_000); // the hole's bytes
        assertFalse(t.onRead(RTT, 95_000, RTT), "95 000 read, but only 20 000 arrived in the period");
        assertEquals(100_000, t.capacity());
        t.onReceived(60_000);
        assertTrue(t.onRead(2 * RTT, 60_000, RTT), "60 000 arrived and read in one period");
        assertEquals(120_000, t.capacity());
    }

    @Test
    void aTransferGrowsTheBufferTowardsTwiceTheBandwidthDelayProductWithinTheCap() {
        long bytes = 16 << 20;
        MptcpConfig tuned = new MptcpConfig().receiveBufferAutotune(128 << 10, 4 << 20);
        MptcpSim s = MptcpTransferSimTest.twoPaths(bytes, 3, tuned, tuned.copy());
        MptcpTransferSimTest.joinThenRun(s, 0);
        MptcpTransferSimTest.finish(s, 60_000_000);
        for (MptcpConnection c : java.util.List.of(s.clientConn, s.serverConn())) {
            int size = c.receiveBufferSize();
            // Two 50 Mbit/s paths with one-way delays of 10 and 15 ms: 2 x 100 Mbit/s x 30 ms = 750 000
            // bytes, more with the queues' delay; at most the 4 MiB cap.
            assertTrue(size >= 750_000 && size <= 4 << 20, () -> "receive buffer " + size + " of " + c);
        }
        assertTrue(s.net.server.mib().get(io.jmptcp.core.mib.MptcpMib.RcvBufGrow) >= 3, s.net.server.mib().toString());
    }

    @Test
    void offByDefaultAndAFixedSizeTurnsItOff() {
        assertEquals(0, new MptcpConfig().receiveBufferInitial);
        assertEquals(128 << 10, new MptcpConfig().receiveBufferAutotune(128 << 10, 1 << 20).receiveBufferInitial);
        assertEquals(4 << 20, new MptcpConfig().receiveBuffer);
        assertEquals(0, new MptcpConfig().receiveBuffer(1 << 20).receiveBufferInitial, "a fixed size: no tuning");
    }

    @Test
    void theCapHolds() {
        long bytes = 8 << 20;
        MptcpConfig c = new MptcpConfig().receiveBufferAutotune(64 << 10, 256 << 10);
        MptcpSim s = MptcpTransferSimTest.twoPaths(bytes, 3, c, c.copy());
        MptcpTransferSimTest.joinThenRun(s, 0);
        MptcpTransferSimTest.finish(s, 120_000_000);
        assertEquals(256 << 10, s.serverConn().receiveBufferSize());
        assertEquals(256 << 10, s.clientConn.receiveBufferSize());
    }

    @Test
    void needsAnRttAndNeverShrinks() {
        ReceiveBufferTuner t = new ReceiveBufferTuner(100_000, 1_000_000);
        t.onReceived(2_000_000);
        assertFalse(t.onRead(0, 1_000_000, 0), "no RTT sample: no period");
        assertFalse(t.onRead(1_000_000, 1_000_000, -1));
        assertEquals(100_000, t.capacity());
        ReceiveBufferTuner fixed = new ReceiveBufferTuner(100_000, 100_000);
        fixed.onReceived(1_000_000);
        fixed.onRead(0, 0, RTT);
        assertFalse(fixed.onRead(RTT, 1_000_000, RTT), "initial == max: fixed");
        assertEquals(100_000, fixed.capacity());
        assertThrows(IllegalArgumentException.class, () -> new ReceiveBufferTuner(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new ReceiveBufferTuner(10, 5));
    }
}
