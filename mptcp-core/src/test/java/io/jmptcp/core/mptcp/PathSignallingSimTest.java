package io.jmptcp.core.mptcp;

import static io.jmptcp.core.sim.MultiPathNet.addr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.pm.PmConfig;
import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.wire.MptcpOption;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Address signalling between two jmptcp stacks on virtual time (RFC 8684 sections 3.4 and
 * 3.3.8): ADD_ADDR repeated until echoed, REMOVE_ADDR and MP_PRIO from run-time endpoint changes,
 * a subflow from an address added at run time, and a join through a NAT.
 */
class PathSignallingSimTest {
    private static final long MIB = 1 << 20;
    private static final long SECOND = 1_000_000;

    private static String why(MptcpSim s) {
        return "at " + s.net.sim.now() + ": " + s.clientConn + "\n" + s.serverConn() + "\nclient " + s.net.client.mib()
                + "\nserver " + s.net.server.mib();
    }

    private static void assertIntact(MptcpSim s, long bytes) {
        assertTrue(s.run(s::transferDone, 120 * SECOND), () -> why(s));
        assertEquals(bytes, s.serverApp.received);
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash(), "SHA-256 of the upload");
    }

    private static boolean isAddAddr(Packet p) {
        return p.segment().header().options().stream().anyMatch(o -> o instanceof MptcpOption.AddAddr a && !a.echo());
    }

    @Test
    void anAddAddrIsRepeatedUntilEchoedAndThenJoined() {
        long bytes = 8 * MIB;
        MptcpConfig server = new MptcpConfig().announce(true).pm(new PmConfig().addAddrTimeoutMicros(SECOND));
        MptcpConfig client = new MptcpConfig().pm(new PmConfig().addAddrAccepted(1));
        MptcpSim s = new MptcpSim(List.of("10.0.1.1"), List.of("10.0.9.1", "10.0.9.2"), client, server, bytes, 0, 71);
        MultiPathNet.Path p1 = s.path("10.0.1.1", "10.0.9.1", 20_000_000, 5_000);
        MultiPathNet.Path p2 = s.path("10.0.1.1", "10.0.9.2", 20_000_000, 5_000);
        int[] dropped = {0};
        List<Long> seenAt = new ArrayList<>();
        p1.down.filter = pk -> {
            if (!isAddAddr(pk)) {
                return pk;
            }
            seenAt.add(s.net.sim.now());
            return ++dropped[0] <= 2 ? null : pk; // a middlebox eats the first two
        };
        s.connect("10.0.9.1");
        assertIntact(s, bytes);
        assertEquals(3, seenAt.size(), "sent three times, then echoed: " + seenAt);
        assertTrue(seenAt.get(1) - seenAt.get(0) >= SECOND && seenAt.get(2) - seenAt.get(1) >= SECOND, seenAt::toString);
        assertEquals(3, s.net.server.mib().get(MptcpMib.AddAddrTx));
        assertEquals(1, s.net.server.mib().get(MptcpMib.Echo));
        assertEquals(1, s.net.client.mib().get(MptcpMib.AddAddr));
        // The client joined the announced address (id 1 of the server), and data flowed there.
        assertTrue(p2.up.bytesDelivered > MIB, () -> "path to 10.0.9.2 carried " + p2.up.bytesDelivered);
    }

    @Test
    void removingAnAddressMidTransferSendsRemoveAddrAndTheTransferCompletes() {
        long bytes = 32 * MIB;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), bytes, 0, 72);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 5_000);
        MultiPathNet.Path p2 = s.path("10.0.2.1", "10.0.9.1", 50_000_000, 5_000);
        long[] atRemoval = new long[2];
        s.net.sim.schedule(SECOND, () -> {
            atRemoval[0] = p2.up.bytesDelivered;
            atRemoval[1] = p2.up.sent;
            assertTrue(s.net.client.engine().removeEndpoint(s.net.sim.now(), addr("10.0.2.1")));
            s.net.client.step();
        });
        s.connect("10.0.9.1");
        assertIntact(s, bytes);
        assertTrue(atRemoval[0] > MIB, "path 2 carried data before: " + atRemoval[0]);
        assertEquals(1, s.net.client.mib().get(MptcpMib.RmAddrTx), () -> why(s));
        assertEquals(1, s.net.server.mib().get(MptcpMib.RmAddr), () -> why(s));
        assertEquals(1, s.net.client.mib().get(MptcpMib.RmSubflow), () -> why(s));
        // The client sent nothing on path 2 afterwards but the subflow's reset.
        assertEquals(1, p2.up.sent - atRemoval[1], "packets sent on path 2 after the removal");
        assertEquals(1, s.clientConn.subflows().size());
        assertEquals(0, s.net.client.mib().get(MptcpMib.SubflowRecreated), "a removed address is not rejoined");
    }

    @Test
    void makingAnAddressBackupAtRunTimeSendsMpPrioAndMovesTheTrafficOff() {
        long bytes = 32 * MIB;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), bytes, 0, 73);
        MultiPathNet.Path p1 = s.path("10.0.1.1", "10.0.9.1", 50_000_000, 5_000);
        MultiPathNet.Path p2 = s.path("10.0.2.1", "10.0.9.1", 50_000_000, 5_000);
        long[] at = new long[2];
        s.net.sim.schedule(SECOND, () -> {
            s.net.client.engine().setEndpoint(s.net.sim.now(), addr("10.0.2.1"), Endpoint.SUBFLOW | Endpoint.BACKUP);
            s.net.client.step();
        });
        // Measure from 0.5 s after the change (what was queued on path 2 drains first).
        s.net.sim.schedule(SECOND + 500_000, () -> {
            at[0] = p1.up.bytesDelivered;
            at[1] = p2.up.bytesDelivered;
        });
        s.connect("10.0.9.1");
        assertIntact(s, bytes);
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPPrioTx), () -> why(s));
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPPrioRx), () -> why(s));
        assertTrue(s.serverConn().subflows().get(1).backup(), "the server honours the MP_PRIO");
        long d1 = p1.up.bytesDelivered - at[0];
        long d2 = p2.up.bytesDelivered - at[1];
        assertTrue(d2 < 0.05 * (d1 + d2), () -> "after MP_PRIO path 2 carried " + d2 + " of " + (d1 + d2));
    }

    @Test
    void anAddressAddedAtRunTimeGetsASubflowThatCarriesData() {
        long bytes = 32 * MIB;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1"), List.of("10.0.9.1"), new MptcpConfig(), new MptcpConfig(),
                bytes, 0, 74);
        s.path("10.0.1.1", "10.0.9.1", 20_000_000, 5_000);
        MultiPathNet.Path p2 = s.path("10.0.2.1", "10.0.9.1", 20_000_000, 5_000);
        s.net.sim.schedule(SECOND, () -> {
            s.net.client.engine().setEndpoint(s.net.sim.now(), addr("10.0.2.1"), Endpoint.SUBFLOW);
            s.net.client.step();
        });
        s.connect("10.0.9.1");
        assertIntact(s, bytes);
        assertEquals(1, s.net.client.mib().get(MptcpMib.MPJoinFourthAckRx), () -> why(s));
        assertTrue(p2.up.bytesDelivered > 4 * MIB, () -> "the new path carried " + p2.up.bytesDelivered);
    }

    /**
     * The listener sets C on its SYN/ACK (Linux allow_join_initial_addr_port=0): the client opens
     * no subflow to the server's initial address and port, only to the address it announced.
     */
    @Test
    void theCFlagKeepsJoinsOffTheInitialAddress() {
        long bytes = 8 * MIB;
        MptcpConfig server = new MptcpConfig().announce(true).joinInitialAddress(false);
        MptcpConfig client = new MptcpConfig().pm(new PmConfig().addAddrAccepted(1));
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1", "10.0.9.2"), client, server,
                bytes, 0, 76);
        s.path("10.0.1.1", "10.0.9.1", 20_000_000, 5_000);
        MultiPathNet.Path announced = s.path("10.0.1.1", "10.0.9.2", 20_000_000, 5_000);
        MultiPathNet.Path denied = s.path("10.0.2.1", "10.0.9.1", 20_000_000, 5_000);
        List<Integer> capFlags = new ArrayList<>();
        s.net.paths.get(0).down.tap = pk -> pk.segment().header().options().stream()
                .filter(o -> o instanceof MptcpOption.MpCapable m && m.form() == MptcpOption.CapableForm.SYN_ACK)
                .forEach(o -> capFlags.add(((MptcpOption.MpCapable) o).flags()));
        s.connect("10.0.9.1");
        assertIntact(s, bytes);
        assertEquals(1, capFlags.size());
        assertTrue((capFlags.get(0) & MptcpOption.CAP_C_NO_JOIN_TO_SOURCE) != 0, "C on the SYN/ACK");
        assertEquals(0, denied.up.sent, "no join to the initial address and port");
        assertTrue(announced.up.bytesDelivered > MIB, () -> "the announced address carried " + announced.up.bytesDelivered);
        assertEquals(0, s.net.server.mib().get(MptcpMib.MPJoinSynRejected));
    }

    /** A client that never saw the C flag (a middlebox cleared it) is refused by the listener. */
    @Test
    void aJoinToTheInitialAddressIsRefusedAfterC() {
        long bytes = 8 * MIB;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig().joinInitialAddress(false), bytes, 0, 77);
        MultiPathNet.Path p1 = s.path("10.0.1.1", "10.0.9.1", 20_000_000, 5_000);
        s.path("10.0.2.1", "10.0.9.1", 20_000_000, 5_000);
        p1.down.filter = pk -> {
            List<io.jmptcp.core.wire.TcpOption> opts = new ArrayList<>();
            boolean changed = false;
            for (io.jmptcp.core.wire.TcpOption o : pk.segment().header().options()) {
                if (o instanceof MptcpOption.MpCapable m && m.form() == MptcpOption.CapableForm.SYN_ACK) {
                    opts.add(MptcpOption.MpCapable.synAck(m.flags() & ~MptcpOption.CAP_C_NO_JOIN_TO_SOURCE, m.senderKey()));
                    changed = true;
                } else {
                    opts.add(o);
                }
            }
            if (!changed) {
                return pk;
            }
            io.jmptcp.core.wire.TcpHeader h = pk.segment().header();
            return pk.with(new io.jmptcp.core.tcp.Segment(new io.jmptcp.core.wire.TcpHeader(h.srcPort(), h.dstPort(),
                    h.seq(), h.ack(), h.flags(), h.window(), 0, 0, opts), pk.segment().data(), pk.segment().offset(),
                    pk.segment().length()));
        };
        s.connect("10.0.9.1");
        assertIntact(s, bytes);
        assertTrue(s.net.server.mib().get(MptcpMib.MPJoinSynRejected) >= 1, () -> why(s));
        assertEquals(0, s.net.server.mib().get(MptcpMib.MPJoinAckRx), () -> why(s));
    }

    /** A path that masquerades the client's 10.0.2.1 as 10.0.8.1: the server sees the join from there. */
    @Test
    void aJoinThroughANatCarriesData() {
        long bytes = 16 * MIB;
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), bytes, 0, 75);
        s.path("10.0.1.1", "10.0.9.1", 20_000_000, 5_000);
        InetAddress inside = addr("10.0.2.1");
        InetAddress outside = addr("10.0.8.1");
        MultiPathNet.Path natOut = s.path("10.0.2.1", "10.0.9.1", 20_000_000, 5_000);
        MultiPathNet.Path natIn = s.path("10.0.8.1", "10.0.9.1", 20_000_000, 5_000);
        natOut.up.filter = pk -> {
            FourTuple t = pk.tuple();
            return Packet.of(pk.path(), new FourTuple(outside, t.localPort(), t.remoteAddress(), t.remotePort()),
                    pk.segment());
        };
        natIn.down.filter = pk -> {
            FourTuple t = pk.tuple();
            return Packet.of(pk.path(), new FourTuple(t.localAddress(), t.localPort(), inside, t.remotePort()),
                    pk.segment());
        };
        s.connect("10.0.9.1");
        assertIntact(s, bytes);
        assertEquals(1, s.net.server.mib().get(MptcpMib.MPJoinAckRx), () -> why(s));
        assertEquals("10.0.8.1", s.serverConn().subflows().get(1).tuple.remoteAddress().getHostAddress());
        assertTrue(natOut.up.bytesDelivered > 2 * MIB, () -> "the NAT path carried " + natOut.up.bytesDelivered);
    }
}
