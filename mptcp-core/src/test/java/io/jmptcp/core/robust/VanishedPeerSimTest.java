package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.mib.TcpMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnection;
import io.jmptcp.core.pm.PmConfig;
import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.wire.TcpHeader;
import org.junit.jupiter.api.Test;

/**
 * A peer whose host is gone: from one instant nothing arrives from it, ever (no RST, no FIN). The
 * configured timeouts alone must end the connection: each subflow gives up after its RTO back-off
 * ({@link TcpConfig#maxRetries} timeouts, each at most {@link TcpConfig#maxRtoMicros}), or, on an
 * idle connection, after its keepalive probes go unanswered; with no subflow left the connection
 * waits the close timeout (break before make), then fails; the application sees the failure and
 * the engine holds nothing. The bound each test asserts is computed from those settings.
 */
class VanishedPeerSimTest {
    static final int RETRIES = 5;
    static final long MAX_RTO = 2_000_000;
    static final long CLOSE_TIMEOUT = 3_000_000;
    static final long KA_IDLE = 5_000_000;
    static final long KA_INTERVAL = 1_000_000;
    static final int KA_PROBES = 3;

    static MptcpConfig config() {
        MptcpConfig c = new MptcpConfig();
        c.tcp.maxRetries = RETRIES;
        c.tcp.maxRtoMicros = MAX_RTO;
        c.tcp.keepalive(KA_IDLE, KA_INTERVAL, KA_PROBES);
        c.pm.closeTimeoutMicros = CLOSE_TIMEOUT;
        return c;
    }

    /** Every link of every path down for good: the server's host is gone. */
    static void vanish(HostileNet n) {
        for (MultiPathNet.Path p : n.net.paths) {
            p.up.setUp(false);
            p.down.setUp(false);
        }
    }

    /**
     * An upper bound on the time from the vanishing to the engine forgetting the connection: each
     * subflow's retransmissions back off to at most MAX_RTO and stop after RETRIES (RETRIES + 1
     * waits; a rejoin attempt's SYNs are bounded the same way, and do not outlive it), then the
     * close timeout; one more MAX_RTO of slack for the timer that was running at the cut.
     */
    static long bound() {
        return (RETRIES + 2) * MAX_RTO + CLOSE_TIMEOUT;
    }

    @Test
    void aPeerThatVanishesWhileTheConnectionIsIdleIsFoundByKeepalive() {
        HostileNet n = new HostileNet(42, config(), new MptcpConfig(), 256 << 10, 16, 64, HostileNet.link(20_000_000, 10_000));
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        // Everything written is read and acknowledged; both hold the connection open, idle.
        assertTrue(n.run(() -> n.serverConn() != null && n.clientConn.subflows().size() == 2
                && n.clientApp.received == 256 << 10 && n.serverApp.received == 256 << 10, 10_000_000), n::describe);
        n.run(() -> false, n.now() + 100_000); // the last ACKs land
        MptcpConnection c = n.clientConn;
        long cut = n.now();
        long eventsAtCut = n.net.sim.events();
        vanish(n);
        // Idle: no RTO runs, only keepalive can notice. Bound: idle + probes, then the close timeout.
        long bound = KA_IDLE + (KA_PROBES + 1) * KA_INTERVAL + CLOSE_TIMEOUT + MAX_RTO;
        assertTrue(n.run(() -> n.net.client.engine().connectionCount() == 0, cut + bound),
                () -> "still held " + (n.now() - cut) + " us after the cut (bound " + bound + "): " + n.describe());
        long took = n.now() - cut;
        // A handful of probes, SYNs and timers: not a loop polling an overdue deadline (the close
        // timeout once stayed due while rejoin attempts were in their handshake: 500,000 events).
        long events = n.net.sim.events() - eventsAtCut;
        assertTrue(events < 1_000, () -> events + " simulator events after the cut");
        assertEquals(Connection.State.FAILED, c.state());
        assertNotNull(c.failure());
        assertTrue(took >= KA_IDLE, "forgotten after " + took + " us, before the keepalive idle time");
        System.out.printf("vanished while idle: forgotten after %d us (bound %d), %s%n", took, bound, c.failure());
    }

    /**
     * The peer vanishes in the middle of a transfer both ways: every subflow has data in flight, so
     * its RTO backs off and gives up after RETRIES (keepalive off: the retransmissions alone must
     * end it), rejoin attempts fail, and the close timeout fails the connection. What was read
     * before the cut is an intact prefix.
     */
    @Test
    void aPeerThatVanishesMidTransferIsGivenUpAfterTheRetransmissions() {
        MptcpConfig cfg = config();
        cfg.tcp.keepalive = false;
        long each = 64L << 20;
        HostileNet n = new HostileNet(44, cfg, new MptcpConfig(), each, 16, 64, HostileNet.link(20_000_000, 10_000));
        n.connect();
        assertTrue(n.run(() -> n.serverConn() != null && n.clientConn.subflows().size() == 2
                && n.clientApp.received > (1 << 20) && n.serverApp.received > (1 << 20), 20_000_000), n::describe);
        MptcpConnection c = n.clientConn;
        long cut = n.now();
        long eventsAtCut = n.net.sim.events();
        long receivedAtCut = n.clientApp.received;
        vanish(n);
        long bound = bound();
        assertTrue(n.run(() -> n.net.client.engine().connectionCount() == 0, cut + bound),
                () -> "still held " + (n.now() - cut) + " us after the cut (bound " + bound + "): " + n.describe());
        long took = n.now() - cut;
        long events = n.net.sim.events() - eventsAtCut;
        assertTrue(events < 5_000, () -> events + " simulator events after the cut");
        assertEquals(Connection.State.FAILED, c.state());
        assertNotNull(c.failure());
        assertTrue(n.clientApp.written < each, "the transfer was cut short, not completed");
        assertTrue(n.clientApp.received >= receivedAtCut && n.clientApp.received < each);
        assertEquals(-1, n.clientApp.firstCorrupt, "what was read is an intact prefix");
        // Not before the retransmissions could have run out: RETRIES back-offs of at least the
        // minimum RTO each would be far longer than the close timeout alone.
        assertTrue(took > CLOSE_TIMEOUT, "forgotten after " + took + " us, before the close timeout");
        System.out.printf("vanished mid-transfer: forgotten after %d us (bound %d), %d events, %s%n", took, bound,
                events, c.failure());
    }

    /**
     * Both DATA_FINs are in and the peer acknowledged our subflow FIN on path 2, but its own
     * subflow FIN never comes: path 2 loses every FIN from the peer (as when a router reset the
     * peer's subflow while ours sent nothing to hear of it). The subflow is orphaned by the
     * connection's close and gives up after the fin timeout; the connection is forgotten. (The
     * soak found these: connections CLOSED at the data level, a subflow in FIN_WAIT_2 for ever.)
     */
    @Test
    void aSubflowFinThatNeverComesDoesNotHoldTheConnection() {
        MptcpConfig cfg = new MptcpConfig();
        cfg.tcp.finTimeoutMicros = 5_000_000;
        cfg.tcp.timeWaitMicros = 1_000_000;
        HostileNet n = new HostileNet(45, cfg, new MptcpConfig(), 64 << 10, 16, 64, HostileNet.link(20_000_000, 10_000));
        MultiPathNet.Path path2 = n.net.paths.get(1);
        path2.down.filter = p -> (p.segment().header().flags() & TcpHeader.FIN) != 0 ? null : p;
        n.connect();
        MptcpConnection c = n.clientConn;
        String path2Local = HostileNet.C2.getHostAddress() + ":";
        assertTrue(n.run(() -> c.info().subflows().stream()
                .anyMatch(f -> f.local().startsWith(path2Local) && f.state().equals("FIN_WAIT_2")), 10_000_000), n::describe);
        long at = n.now();
        long bound = cfg.tcp.finTimeoutMicros + cfg.tcp.timeWaitMicros + 2_000_000;
        assertTrue(n.run(() -> n.net.client.engine().connectionCount() == 0, at + bound),
                () -> "still held " + (n.now() - at) + " us after FIN_WAIT_2 (bound " + bound + "): " + c.info());
        assertTrue(n.now() - at >= cfg.tcp.finTimeoutMicros, "not before the fin timeout");
        assertEquals(Connection.State.CLOSED, c.state());
        assertEquals(64 << 10, n.clientApp.received);
        assertEquals(-1, n.clientApp.firstCorrupt);
        assertTrue(path2.down.droppedFilter >= 1, "the peer's FIN was sent on path 2 and lost");
        assertEquals(1, n.net.client.mib().get(TcpMib.FIN_WAIT2_TIMEOUT), () -> n.net.client.mib().toString());
    }

    /** Without keepalive an idle connection to a vanished peer stays: nothing is sent, nothing can time out. */
    @Test
    void withoutKeepaliveAnIdleConnectionStays() {
        MptcpConfig cfg = config();
        cfg.tcp.keepalive = false;
        HostileNet n = new HostileNet(43, cfg, new MptcpConfig(), 256 << 10, 16, 64, HostileNet.link(20_000_000, 10_000));
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        assertTrue(n.run(() -> n.serverConn() != null && n.clientApp.received == 256 << 10
                && n.serverApp.received == 256 << 10, 10_000_000), n::describe);
        n.run(() -> false, n.now() + 100_000);
        long cut = n.now();
        vanish(n);
        n.run(() -> n.net.client.engine().connectionCount() == 0, cut + 10 * bound());
        assertEquals(1, n.net.client.engine().connectionCount());
        assertEquals(Connection.State.ESTABLISHED, n.clientConn.state());
    }
}
