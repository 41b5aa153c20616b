package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.wire.TcpHeader;
import org.junit.jupiter.api.Test;

/**
 * The soak's "reset" flap on the simulator: for 4 s path 2 rejects TCP with resets both ways, as
 * the testbed's nft "reject with tcp reset" does (each packet dropped, its sender reset at once,
 * RSTs themselves dropped silently), while the server sends a download. The subflows on path 2
 * die; the path manager's re-joins are refused while it lasts, and one works once it is over.
 */
class PathResetSimTest {

    /** The RST a router that rejects {@code p} sends its sender (Linux nf_send_reset: the RFC 9293 rule). */
    private static Packet resetFor(Packet p) {
        return Packet.of(p.path(), p.tuple().reversed(), TcpConnection.resetFor(p.segment()));
    }

    private static void reject(HostileNet n, Packet p, boolean senderIsServer, long[] count) {
        count[0]++;
        if (!p.segment().header().has(TcpHeader.RST)) {
            n.net.sim.after(0, () -> n.inject(resetFor(p).bytes(), senderIsServer));
        }
    }

    @Test
    void aPathResetForFourSecondsIsRejoinedAfterwards() {
        HostileNet n = new HostileNet(46, new MptcpConfig(), new MptcpConfig(), 16 << 10, 256L << 20, 16, 64,
                HostileNet.link(20_000_000, 10_000), HostileNet.link(20_000_000, 10_000));
        n.connect();
        assertTrue(n.run(() -> n.serverConn() != null && n.clientConn.subflows().size() == 2
                && n.serverConn().subflows().size() == 2 && n.clientApp.received > (2 << 20), 20_000_000), n::describe);
        MultiPathNet.Path path2 = n.net.paths.get(1);
        long until = n.now() + 4_000_000;
        long[] fromClient = {0};
        long[] fromServer = {0};
        path2.up.filter = p -> {
            if (n.now() >= until) {
                return p;
            }
            reject(n, p, false, fromClient);
            return null;
        };
        path2.down.filter = p -> {
            if (n.now() >= until) {
                return p;
            }
            reject(n, p, true, fromServer);
            return null;
        };
        n.run(() -> false, until);
        assertTrue(fromServer[0] >= 1 && fromClient[0] >= 1, "both ends met the reset");
        assertEquals(1, n.serverConn().subflows().size(), () -> "the server lost path 2: " + n.describe());
        long received = n.clientApp.received;
        // SubflowRecreated counts a re-created subflow once it works (fully established).
        assertTrue(n.run(() -> n.net.client.mib().get(MptcpMib.SubflowRecreated) >= 1, until + 10_000_000),
                () -> "path 2 re-joined: " + n.describe());
        n.run(() -> false, n.now() + 2_000_000);
        assertTrue(n.clientApp.received > received + (1 << 20), "the download goes on");
        assertEquals(-1, n.clientApp.firstCorrupt);
    }
}
