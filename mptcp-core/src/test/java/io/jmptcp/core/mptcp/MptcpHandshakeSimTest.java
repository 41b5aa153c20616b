package io.jmptcp.core.mptcp;

import io.jmptcp.core.mib.MptcpMib;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.wire.MptcpOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MP_CAPABLE and MP_JOIN handshakes on the simulator, checked by counters and by the wire. */
class MptcpHandshakeSimTest {

    @Test
    void capableHandshakeThenJoinFromSecondAddress() {
        MptcpSim s = new MptcpSim(List.of("10.0.1.1", "10.0.2.1"), List.of("10.0.9.1"), new MptcpConfig(),
                new MptcpConfig(), 100_000, 100_000, 1);
        s.path("10.0.1.1", "10.0.9.1", 50_000_000, 10_000);
        s.path("10.0.2.1", "10.0.9.1", 50_000_000, 10_000);
        List<MptcpOption> up = new ArrayList<>();
        s.net.paths.get(0).up.tap = p -> p.segment().header().options().stream()
                .filter(o -> o instanceof MptcpOption).forEach(o -> up.add((MptcpOption) o));
        s.clientApp.holdOpen = true; // Linux refuses joins after a DATA_FIN: keep it open until joined
        s.connect("10.0.9.1");
        assertTrue(s.run(() -> s.net.client.mib().get(MptcpMib.MPJoinFourthAckRx) == 1, 5_000_000),
                () -> s.clientConn + "\n" + s.serverConn() + "\n" + s.net.client.mib() + "\n" + s.net.server.mib());
        s.clientApp.holdOpen = false;
        s.net.client.step();
        assertTrue(s.run(s::transferDone, 20_000_000), () -> "not done: " + s.clientConn + " / " + s.serverConn());
        assertArrayEquals(s.clientApp.sentHash(), s.serverApp.receivedHash());
        assertArrayEquals(s.serverApp.sentHash(), s.clientApp.receivedHash());
        assertTrue(s.clientConn.isMptcp());
        assertTrue(s.serverConn().isMptcp());
        assertEquals(2, s.clientConn.subflows().size());
        Mib c = s.net.client.mib();
        Mib sv = s.net.server.mib();
        assertEquals(1, c.get(MptcpMib.MPCapableSYNACKRX));
        assertEquals(1, sv.get(MptcpMib.MPCapableSYNRX));
        assertEquals(1, sv.get(MptcpMib.MPCapableACKRX));
        assertEquals(1, sv.get(MptcpMib.MPJoinSynRx));
        assertEquals(1, c.get(MptcpMib.MPJoinSynAckRx));
        assertEquals(1, sv.get(MptcpMib.MPJoinAckRx));
        assertEquals(1, c.get(MptcpMib.MPJoinFourthAckRx));
        assertEquals(0, c.get(MptcpMib.DataCsumErr) + sv.get(MptcpMib.DataCsumErr));
        // The MP_CAPABLE forms Linux sends: SYN 4 bytes with H only, then a 20-byte third ACK
        // carrying both keys, then a 22-byte MP_CAPABLE with the first data.
        MptcpOption.MpCapable syn = (MptcpOption.MpCapable) up.get(0);
        assertEquals(MptcpOption.CapableForm.SYN, syn.form());
        assertEquals(0x01, syn.flags());
        MptcpOption.MpCapable third = (MptcpOption.MpCapable) up.get(1);
        assertEquals(MptcpOption.CapableForm.ACK, third.form());
        assertEquals(s.clientConn.localKey(), third.senderKey());
        assertEquals(s.serverConn().localKey(), third.receiverKey());
        assertTrue(up.stream().anyMatch(o -> o instanceof MptcpOption.MpCapable m
                && m.form() == MptcpOption.CapableForm.ACK_DATA));
        // DSS afterwards: 64-bit DSN, and every one with a DATA_ACK.
        List<MptcpOption.Dss> dss = up.stream().filter(o -> o instanceof MptcpOption.Dss)
                .map(o -> (MptcpOption.Dss) o).toList();
        assertFalse(dss.isEmpty());
        assertTrue(dss.stream().allMatch(MptcpOption.Dss::hasDataAck));
        assertTrue(dss.stream().filter(MptcpOption.Dss::hasMapping).allMatch(MptcpOption.Dss::dsn64));
        assertTrue(dss.stream().anyMatch(d -> d.dataFin() && d.dataLevelLength() == 1 && d.ssn() == 0));
        // The first DSN is IDSN + 1. The MP_CAPABLE with data maps the whole first chunk, and the
        // DSS on that chunk's later segments repeats that mapping (DSN IDSN + 1, SSN 1, the same
        // length), as Linux maps a TSO skb; every mapping is a whole chunk, so none starts inside
        // another.
        long idsn1 = MptcpCrypto.idsn(s.clientConn.localKey()) + 1;
        long dll = up.stream().filter(o -> o instanceof MptcpOption.MpCapable m
                && m.form() == MptcpOption.CapableForm.ACK_DATA).mapToLong(o -> ((MptcpOption.MpCapable) o)
                .dataLevelLength()).findFirst().orElseThrow();
        List<MptcpOption.Dss> data = dss.stream().filter(d -> d.hasMapping() && !d.dataFin()).toList();
        assertEquals(idsn1, data.stream().mapToLong(MptcpOption.Dss::dsn).min().orElseThrow());
        assertTrue(data.stream().filter(d -> d.dsn() == idsn1)
                .allMatch(d -> d.ssn() == 1 && d.dataLevelLength() == dll), "the first chunk's mapping repeated");
        assertTrue(data.stream().allMatch(d -> d.dsn() == idsn1 || d.dsn() >= idsn1 + dll), "no mapping inside another");
        assertEquals(Connection.State.CLOSED, s.clientConn.state());
    }
}
