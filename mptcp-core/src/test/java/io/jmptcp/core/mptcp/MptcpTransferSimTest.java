package io.jmptcp.core.mptcp;

import io.jmptcp.core.mib.MptcpMib;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.Mib;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bulk transfers over two paths: integrity, both subflows used, reinjection when a path dies. */
class MptcpTransferSimTest {
    static final long MIB = 1 << 20;

    static MptcpSim twoPaths(long bytes, long seed, MptcpConfig c, MptcpConfig s) {
        MptcpSim sim = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), c, s, bytes, bytes, seed);
        sim.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        sim.path("10.0.2.1", "10.0.9.1", 50_000_000, 15_000);
        return sim;
    }

    static void joinThenRun(MptcpSim s, long limit) {
        joinThenRun(s, "10.0.9.1");
    }

    static void joinThenRun(MptcpSim s, String server) {
        s.clientApp.holdOpen = true;
        s.serverApp.holdOpen = true;
        s.connect(server);
        assertTrue(s.run(() -> s.net.client.mib().get(MptcpMib.MPJoinFourthAckRx) == 1, 5_000_000),
                () -> "no join: " + s.clientConn);
    }

    static void finish(MptcpSim s, long limit) {
        s.clientApp.holdOpen = false;
        s.serverApp.holdOpen = false;
        s.net.client.step();
        s.net.server.step();
        assertTrue(s.run(s::transferDone, limit), () -> "not done at " + s.net.sim.now() + ": " + s.clientConn
                + "\n" + s.serverConn() + "\n" + s.net.client.mib() + "\n" + s.net.server.mib());
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash());
        assertArrayEquals(s.serverApp.sentHash(), s.clientApp.receivedHash());
    }

    @Test
    void thirtyTwoMebibytesEachWayOverTwoSubflows() {
        long bytes = 32 * MIB;
        MptcpSim s = twoPaths(bytes, 7, new MptcpConfig(), new MptcpConfig());
        joinThenRun(s, 0);
        assertTrue(s.run(() -> s.clientApp.written == bytes && s.serverApp.written == bytes
                && s.clientApp.received == bytes && s.serverApp.received == bytes, 60_000_000), () -> "t=" + s.net.sim.now() + " cw=" + s.clientApp.written + " sw=" + s.serverApp.written + " cr=" + s.clientApp.received + " sr=" + s.serverApp.received + "\n" + s.clientConn + "\n" + s.serverConn() + "\n" + s.net.client.mib() + "\n" + s.net.server.mib());
        finish(s, 70_000_000);
        assertEquals(bytes, s.serverApp.received);
        assertEquals(bytes, s.clientApp.received);
        // Both subflows carried a real share both ways (each path is half the capacity).
        for (MptcpConnection c : List.of(s.clientConn, s.serverConn())) {
            assertEquals(2, c.subflows().size());
            for (MptcpSubflow sf : c.subflows()) {
                assertTrue(sf.queued() > bytes / 5, () -> "sent " + sf.queued() + " on " + sf);
                assertTrue(sf.subflowBytesDelivered > bytes / 5, () -> "received " + sf.subflowBytesDelivered + " on " + sf);
            }
        }
        // One 50 Mbit/s path alone needs more than 5.4 s for 32 MiB; two paths together must beat it.
        assertTrue(s.net.sim.now() < 5_400_000, "took " + s.net.sim.now());
        Mib m = s.net.server.mib();
        assertEquals(0, m.get(MptcpMib.DSSNotMatching) + m.get(MptcpMib.DSSNoMatchTCP) + m.get(MptcpMib.DSSFallback));
        // Neither sender overshot the receiver's connection-level window (section 3.3.4).
        assertEquals(0, m.get(MptcpMib.PastWindowEdge), m.toString());
        assertEquals(0, s.net.client.mib().get(MptcpMib.PastWindowEdge), s.net.client.mib().toString());
    }

    @Test
    void pathDownMidTransferCompletesOnTheOther() {
        long bytes = 8 * MIB;
        MptcpSim s = twoPaths(bytes, 11, new MptcpConfig(), new MptcpConfig());
        joinThenRun(s, 0);
        assertTrue(s.run(() -> s.clientApp.received > bytes / 4 && s.serverApp.received > bytes / 4, 30_000_000));
        s.net.paths.get(0).up.setUp(false);
        s.net.paths.get(0).down.setUp(false);
        long downAt = s.net.sim.now();
        assertTrue(s.run(() -> s.clientApp.received == bytes && s.serverApp.received == bytes, 60_000_000),
                () -> s.clientConn + "\n" + s.serverConn() + "\n" + s.net.client.mib() + "\n" + s.net.server.mib());
        finish(s, 200_000_000);
        assertTrue(s.net.client.mib().get(MptcpMib.Reinjection) > 0);
        assertTrue(s.net.server.mib().get(MptcpMib.Reinjection) > 0);
        assertTrue(s.net.sim.now() > downAt);
    }
}
