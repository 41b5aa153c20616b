package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: an idle connection costs little. Once everything an end wrote is DATA_ACKed, its
 * connection-level send buffer is given back, after a one-byte exchange as after a bulk transfer;
 * a bulk transfer still grows it well past the smallest ring.
 */
class IdleBuffersSimTest {
    static MptcpSim twoPaths(long bytes, long seed) {
        MptcpSim sim = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), bytes, bytes, seed);
        sim.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        sim.path("10.0.2.1", "10.0.9.1", 50_000_000, 15_000);
        return sim;
    }

    static boolean allAcked(MptcpConnection c) {
        return c.dataUna() == c.dataFinDsn();
    }

    @Test
    void aOneByteExchangeLeavesNoSendBuffer() {
        MptcpSim s = twoPaths(1, 12);
        MptcpTransferSimTest.joinThenRun(s, "10.0.9.1");
        assertTrue(s.run(() -> s.clientApp.received == 1 && s.serverApp.received == 1
                && allAcked(s.clientConn) && allAcked(s.serverConn()), 5_000_000),
                () -> "no exchange: " + s.clientConn + "\n" + s.serverConn());
        assertEquals(2, s.clientConn.subflows().size());
        assertEquals(0, s.clientConn.sendBufferAllocated());
        assertEquals(0, s.serverConn().sendBufferAllocated());
    }

    @Test
    void aBulkTransferGrowsTheSendBufferAndGivesItBackWhenAcked() {
        long bytes = 8L << 20;
        MptcpSim s = twoPaths(bytes, 13);
        MptcpTransferSimTest.joinThenRun(s, "10.0.9.1");
        int[] most = new int[1];
        assertTrue(s.run(() -> {
            most[0] = Math.max(most[0], s.clientConn.sendBufferAllocated());
            return s.clientApp.written == bytes && s.serverApp.written == bytes && s.clientApp.received == bytes
                    && s.serverApp.received == bytes && allAcked(s.clientConn) && allAcked(s.serverConn());
        }, 60_000_000), () -> "not done: " + s.clientConn + "\n" + s.serverConn());
        assertTrue(most[0] >= 256 * 1024, () -> "the send buffer never grew past " + most[0]);
        assertEquals(0, s.clientConn.sendBufferAllocated());
        assertEquals(0, s.serverConn().sendBufferAllocated());
    }
}
