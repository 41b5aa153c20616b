package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mib.TcpMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.sim.Link;
import org.junit.jupiter.api.Test;

/**
 * RFC 8684 section 3.3.4: the receive window belongs to the connection, whichever subflow last
 * carried it. An upload fills a slow reader's 64 KiB buffer, so both subflows last heard a zero
 * window; then the reader drains it while the window updates are lost. Before, a subflow whose
 * update was lost kept its zero window with nothing queued, so it never probed and never sent
 * again (the stall the ECF benchmark's simulator found), and with every update lost nothing was
 * ever sent again at all.
 */
class SharedWindowSimTest {
    private static final long BYTES = 4L << 20;

    /**
     * Uploads into a 64 KiB buffer the reader leaves full, then drains it at one instant, losing
     * what the server sends then on the given paths (its window updates) and nothing after.
     */
    private static HostileNet filledThenDrainedLosing(boolean path1, boolean path2) {
        Link.Config link = HostileNet.link(20_000_000, 10_000);
        HostileNet n = new HostileNet(61, new MptcpConfig(), new MptcpConfig().receiveBuffer(64 << 10),
                BYTES, 0, 16, 64, link, link);
        n.serverApp.readPaused = true;
        n.connect();
        assertTrue(n.run(() -> n.serverConn() != null && n.serverConn().readable() == 64 << 10
                && n.clientConn.info().subflows().size() == 2, 20_000_000), n::describe);
        n.run(() -> false, n.now() + 1_000_000); // everything sent acknowledged: nothing in flight
        assertTrue(n.clientConn.info().sendWindowLeft() < 1460, n::describe);
        n.net.paths.get(0).down.filter = path1 ? p -> null : null;
        n.net.paths.get(1).down.filter = path2 ? p -> null : null;
        long lostBefore = n.net.paths.get(0).down.droppedFilter + n.net.paths.get(1).down.droppedFilter;
        n.serverApp.readPaused = false;
        n.net.server.step(); // the reader drains the buffer at once: its window updates are lost
        assertEquals(0, n.serverConn().readable(), n::describe);
        assertTrue(n.net.paths.get(0).down.droppedFilter + n.net.paths.get(1).down.droppedFilter > lostBefore,
                "window updates lost");
        n.net.paths.get(0).down.filter = null; // nothing else is lost
        n.net.paths.get(1).down.filter = null;
        return n;
    }

    @Test
    void aSubflowWhoseWindowUpdateWasLostSendsUnderTheConnectionsWindow() {
        HostileNet n = filledThenDrainedLosing(true, false);
        long path1Before = n.clientConn.info().subflows().get(0).bytesSent();
        assertTrue(n.run(() -> n.serverApp.received == BYTES, n.now() + 60_000_000), n::describe);
        assertEquals(-1, n.serverApp.firstCorrupt);
        long path1After = n.clientConn.info().subflows().get(0).bytesSent();
        assertTrue(path1After - path1Before > BYTES / 4, () -> "path 1 carried data again: " + path1Before
                + " -> " + path1After + "\n" + n.describe());
        Mib m = n.net.client.mib();
        assertTrue(m.get(MptcpMib.SndWndShared) > 0, m::toString);
    }

    @Test
    void aClosedConnectionWindowIsProbedWhenEveryUpdateWasLost() {
        HostileNet n = filledThenDrainedLosing(true, true);
        assertTrue(n.run(() -> n.serverApp.received == BYTES, n.now() + 60_000_000), n::describe);
        assertEquals(-1, n.serverApp.firstCorrupt);
        Mib m = n.net.client.mib();
        assertTrue(m.get(MptcpMib.WindowProbeArmed) > 0, m::toString);
        assertTrue(m.get(TcpMib.WINDOW_PROBES) > 0, m::toString);
    }
}
