package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import org.junit.jupiter.api.Test;

/**
 * The MP_JOIN SYN of path 2 is lost once. Its retransmission timeout, while path 1 works, took
 * the subflow out of scheduling as stale, and only an acknowledgement of new data on it could
 * bring it back, which a subflow given no data never gets: the path stayed unused for good
 * (found by the scheduler benchmarks, issue 11). The handshake's ACK of the SYN now counts as
 * progress.
 */
class LostJoinSynSimTest {
    @Test
    void aJoinWhoseSynWasLostOnceCarriesData() {
        HostileNet n = new HostileNet(47, new MptcpConfig(), new MptcpConfig(), 64L << 20, 16, 64,
                HostileNet.link(20_000_000, 10_000));
        MultiPathNet.Path path2 = n.net.paths.get(1);
        int[] dropped = {0};
        path2.up.filter = p -> {
            TcpHeader h = p.segment().header();
            boolean joinSyn = h.has(TcpHeader.SYN)
                    && h.options().stream().anyMatch((TcpOption o) -> o instanceof MptcpOption.MpJoinSyn);
            if (joinSyn && dropped[0] == 0) {
                dropped[0]++;
                return null;
            }
            return p;
        };
        n.connect();
        assertTrue(n.run(() -> n.clientConn.subflows().size() == 2 && n.clientConn.subflows().get(1).established(),
                10_000_000), n::describe);
        assertEquals(1, dropped[0]);
        long at = n.now();
        n.run(() -> false, at + 5_000_000);
        ConnectionInfo.Subflow second = n.clientConn.info().subflows().get(1);
        assertTrue(second.local().startsWith(HostileNet.C2.getHostAddress() + ":"), second::toString);
        assertTrue(second.bytesSent() > (1 << 20), () -> "path 2 carried data: " + second);
    }
}
