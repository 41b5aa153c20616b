package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnection;
import io.jmptcp.core.mptcp.MptcpSubflow;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.TcpHeader;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A long connection whose second subflow is reset again and again (an exact RST injected into
 * the server at its rcv.nxt, as a middlebox that kills idle flows would): the client's path
 * manager joins again each time. The subflow lists and the engines' 4-tuple tables stay bounded
 * (closed subflows leave both), the connection-level byte counts keep what closed subflows
 * carried, and the transfer is intact.
 */
class SubflowChurnSimTest {
    static final long BYTES = 128L << 20;
    static final int CYCLES = 200;

    @Test
    void twoHundredJoinsAndResetsKeepTheSubflowListAndTupleTableBounded() {
        HostileNet n = new HostileNet(31, new MptcpConfig(), new MptcpConfig(), BYTES, 16, 64,
                HostileNet.link(4_000_000, 5_000));
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        Set<FourTuple> resetTuples = new HashSet<>();
        int mostSubflows = 0;
        int mostTuples = 0;
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            int c = cycle;
            // A joined subflow established at both ends, which has carried data.
            assertTrue(n.run(() -> joined(n) != null, n.now() + 30_000_000), () -> "cycle " + c + ": no join\n" + n.describe());
            FourTuple clientSide = joined(n);
            resetTuples.add(clientSide); // a local port may come round again: the old subflow is gone
            // The server's last ACK there is its rcv.nxt unless data arrived since: then a challenge ACK, and again.
            for (int tries = 0; tries < 50 && stillThere(n, clientSide); tries++) {
                Packet last = n.lastServerTo.get(clientSide.localAddress());
                long rcvNxt = last.segment().header().ack();
                n.inject(Packet.encode(clientSide, Segment.of(new TcpHeader(clientSide.localPort(), clientSide.remotePort(),
                        (int) rcvNxt, 0, TcpHeader.RST, 0, 0, 0, List.of()))), true);
                // The server forgets it at once; the client on its next segment there (the no-connection RST).
                n.run(() -> !stillThere(n, clientSide), n.now() + 200_000);
            }
            assertTrue(!stillThere(n, clientSide), () -> "cycle " + c + ": the reset subflow stayed\n" + n.describe());
            for (MptcpConnection m : List.of(n.clientConn, n.serverConn())) {
                mostSubflows = Math.max(mostSubflows, m.subflows().size());
            }
            mostTuples = Math.max(mostTuples, Math.max(n.net.client.engine().tupleCount(), n.net.server.engine().tupleCount()));
            assertTrue(n.serverConn().subflows().size() <= 2, n::describe);
            assertTrue(n.clientConn.subflows().size() <= 2, n::describe);
            assertTrue(n.net.server.engine().tupleCount() <= 2, "server tuples " + n.net.server.engine().tupleCount());
            assertTrue(n.net.client.engine().tupleCount() <= 2, "client tuples " + n.net.client.engine().tupleCount());
        }
        assertTrue(n.serverApp.received < BYTES && n.clientApp.received < BYTES,
                "the churn happened during the transfer: " + n.describe());
        assertTrue(n.counter(true, StackMib.OUT_RSTS) >= CYCLES / 2, "no-connection RSTs for the forgotten tuples");
        System.out.printf("churn: %d cycles, %d distinct tuples, most subflows %d, most tuples %d, t=%d us, %s%n", CYCLES, resetTuples.size(), mostSubflows,
                mostTuples, n.now(), n.describe());
        n.release();
        assertTrue(n.run(n::transferDone, n.now() + 600_000_000), n::describe);
        assertEquals(BYTES, n.clientApp.received);
        assertEquals(BYTES, n.serverApp.received);
        assertEquals(-1, n.clientApp.firstCorrupt);
        assertEquals(-1, n.serverApp.firstCorrupt);
        // The status totals count what every subflow carried, the closed ones too: all of the
        // stream once, plus the copies (reinjected data arriving twice).
        for (boolean server : new boolean[] {false, true}) {
            MptcpConnection m = server ? n.serverConn() : n.clientConn;
            long dup = n.stack(server).mib().get(MptcpMib.DuplicateData);
            assertEquals(BYTES, m.info().bytesReceived() - dup, (server ? "server" : "client") + " " + m.info());
            assertTrue(m.info().bytesSent() >= BYTES, m.info()::toString);
        }
        // Once TIME_WAIT is over nothing is left in either engine.
        assertTrue(n.run(() -> n.net.client.engine().tupleCount() == 0 && n.net.server.engine().tupleCount() == 0
                && n.net.client.engine().connectionCount() == 0 && n.net.server.engine().connectionCount() == 0,
                n.now() + 300_000_000), () -> "left: client " + n.net.client.engine().tupleCount() + " tuples, server "
                + n.net.server.engine().tupleCount());
    }

    static boolean stillThere(HostileNet n, FourTuple t) {
        return n.clientConn.subflows().stream().anyMatch(s -> tupleOf(s).equals(t));
    }

    static FourTuple tupleOf(MptcpSubflow s) {
        return s.tuple();
    }

    /** The client's non-initial subflow, established at both ends with data acknowledged, or null. */
    static FourTuple joined(HostileNet n) {
        if (n.serverConn() == null) {
            return null;
        }
        for (MptcpSubflow s : n.clientConn.subflows()) {
            if (s.initial() || !s.established() || s.closed() || s.srttMicros() <= 0) {
                continue;
            }
            FourTuple t = tupleOf(s);
            for (MptcpSubflow p : n.serverConn().subflows()) {
                if (p.established() && !p.closed() && p.remotePort() == t.localPort()
                        && p.remoteAddress().equals(t.localAddress())
                        && n.lastServerTo.containsKey(t.localAddress())
                        && n.lastServerTo.get(t.localAddress()).tuple().remotePort() == t.localPort()) {
                    return t;
                }
            }
        }
        return null;
    }
}
