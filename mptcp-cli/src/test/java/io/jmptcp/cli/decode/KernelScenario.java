package io.jmptcp.cli.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mptcp.MptcpCrypto;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.MptcpOption.AddAddr;
import io.jmptcp.core.wire.MptcpOption.CapableForm;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.MptcpOption.MpJoinAck;
import io.jmptcp.core.wire.MptcpOption.MpJoinSyn;
import io.jmptcp.core.wire.MptcpOption.MpJoinSynAck;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks on a decoded capture of one kernel MPTCP connection as {@code scripts/kernel-capture.sh}
 * makes it: that every element of the scenario is really there (so a test fails when the
 * scenario did not happen), and that the captured keys reproduce what the kernel derived from
 * them (RFC 8684 sections 3.1-3.4) with {@link MptcpCrypto}.
 */
final class KernelScenario {
    final List<DecodedSegment> segments;
    /** The client: the source of the MP_CAPABLE SYN; the server is its destination. */
    final InetAddress client;
    final InetAddress server;
    final long clientKey;
    final long serverKey;

    KernelScenario(List<DecodedSegment> segments) {
        this.segments = List.copyOf(segments);
        DecodedSegment syn = only(segments, s -> s.flags() == TcpHeader.SYN && capable(s) != null,
                "MP_CAPABLE SYN");
        client = syn.src();
        server = syn.dst();
        DecodedSegment synAck = first(s -> s.flags() == (TcpHeader.SYN | TcpHeader.ACK)
                && capable(s) != null, "MP_CAPABLE SYN/ACK");
        MpCapable sa = capable(synAck);
        assertEquals(CapableForm.SYN_ACK, sa.form());
        serverKey = sa.senderKey();
        DecodedSegment ack = first(s -> capable(s) != null && capable(s).form() == CapableForm.ACK,
                "MP_CAPABLE third ACK");
        assertEquals(client, ack.src());
        clientKey = capable(ack).senderKey();
        assertEquals(serverKey, capable(ack).receiverKey(), "third ACK echoes the server key");
    }

    interface SegmentTest {
        boolean test(DecodedSegment s);
    }

    /** Every element the scenario must contain. */
    void assertComplete(boolean checksums, boolean dataOnSecondSubflow) {
        Set<String> subflows = new HashSet<>();
        for (DecodedSegment s : segments) {
            subflows.add(flowKey(s));
        }
        assertEquals(2, subflows.size(), "two subflows (4-tuples)");
        first(s -> joinSyn(s) != null, "MP_JOIN SYN");
        first(s -> option(s, MpJoinSynAck.class) != null, "MP_JOIN SYN/ACK");
        first(s -> option(s, MpJoinAck.class) != null, "MP_JOIN third ACK");
        AddAddr announce = option(first(s -> addAddr(s, false) != null, "ADD_ADDR"), AddAddr.class);
        first(s -> addAddr(s, true) != null, "ADD_ADDR echo");
        assertEquals(server, first(s -> addAddr(s, false) != null, "ADD_ADDR").src());
        first(s -> joinSyn(s) != null && s.dst().equals(announce.address()),
                "MP_JOIN SYN to the announced address");
        for (InetAddress side : List.of(client, server)) {
            first(s -> sideOf(s).equals(side) && s.payloadLength() > 0 && mapping(s) != null
                    && mapping(s).dataLevelLength() > 0, "DSS data from " + side);
            first(s -> sideOf(s).equals(side) && dss(s) != null && dss(s).dataFin(),
                    "DATA_FIN from " + side);
        }
        for (DecodedSegment s : segments) {
            Dss d = dss(s);
            if (d != null && d.hasMapping()) {
                assertEquals(checksums, d.hasChecksum(), "DSS checksum presence in frame " + s.frame());
            }
            MpCapable c = capable(s);
            if (c != null) {
                assertEquals(checksums, (c.flags() & MptcpOption.CAP_A_CHECKSUM) != 0,
                        "MP_CAPABLE flag A in frame " + s.frame());
            }
        }
        if (dataOnSecondSubflow) {
            DecodedSegment joinSyn = first(s -> joinSyn(s) != null, "MP_JOIN SYN");
            String joinFlow = flowKey(joinSyn);
            first(s -> flowKey(s).equals(joinFlow) && s.payloadLength() > 0 && sideOf(s).equals(client),
                    "client data on the second subflow");
            first(s -> flowKey(s).equals(joinFlow) && s.payloadLength() > 0 && sideOf(s).equals(server),
                    "server data on the second subflow");
        }
    }

    /**
     * The crypto checks (RFC 8684): first DSN of each direction = IDSN(sender key) + 1; the MP_JOIN
     * SYN token = token(receiver key); the SYN/ACK truncated HMAC and the third-ACK HMAC recomputed
     * from both keys and nonces; the ADD_ADDR truncated HMAC recomputed. Returns how many values
     * were checked.
     */
    int assertCrypto() {
        int checked = 0;
        for (InetAddress side : List.of(client, server)) {
            long key = side.equals(client) ? clientKey : serverKey;
            long expectedFirst = MptcpCrypto.idsn(key) + 1;
            DecodedSegment firstData = first(s -> sideOf(s).equals(side) && s.payloadLength() > 0
                    && (mapping(s) != null || capableData(s) != null), "first data from " + side);
            if (capableData(firstData) != null) {
                // MP_CAPABLE with data: its implied mapping starts at IDSN + 1 (RFC 8684 3.1),
                // so the next mapping from this side must continue right after it.
                long next = expectedFirst + capableData(firstData).dataLevelLength();
                List<DecodedSegment> after = all(s -> s.frame() > firstData.frame()
                        && sideOf(s).equals(side) && mapping(s) != null);
                if (after.isEmpty()) {
                    // Only an aborted connection may end before a second mapping from this side
                    // (the fastclose scenario's client can have sent everything with MP_CAPABLE).
                    assertFalse(all(s -> option(s, MptcpOption.MpFastclose.class) != null).isEmpty(),
                            "no mapping after MP_CAPABLE data from " + side);
                } else {
                    assertEquals(next, mapping(after.get(0)).dsn(), "DSN after MP_CAPABLE data");
                }
            } else {
                Dss m = mapping(firstData);
                long dsn = m.dsn64() ? expectedFirst : expectedFirst & 0xFFFFFFFFL;
                assertEquals(Long.toUnsignedString(dsn), Long.toUnsignedString(m.dsn()),
                        "first DSN from " + side + " (frame " + firstData.frame() + ") = IDSN + 1");
            }
            checked++;
        }
        List<DecodedSegment> joins = all(s -> joinSyn(s) != null);
        assertFalse(joins.isEmpty(), "an MP_JOIN SYN");
        for (DecodedSegment syn : joins) {
            MpJoinSyn js = joinSyn(syn);
            boolean toServer = sideOf(syn).equals(client);
            long initiatorKey = toServer ? clientKey : serverKey;
            long listenerKey = toServer ? serverKey : clientKey;
            assertEquals(Integer.toUnsignedString(MptcpCrypto.token(listenerKey)),
                    Integer.toUnsignedString(js.token()), "MP_JOIN token in frame " + syn.frame());
            String flow = flowKey(syn);
            DecodedSegment synAck = first(s -> flowKey(s).equals(flow)
                    && option(s, MpJoinSynAck.class) != null, "MP_JOIN SYN/ACK of " + flow);
            MpJoinSynAck sa = option(synAck, MpJoinSynAck.class);
            assertEquals(String.format("%016x", MptcpCrypto.joinSynAckHmac(listenerKey, initiatorKey,
                    sa.nonce(), js.nonce())), String.format("%016x", sa.truncatedHmac()),
                    "MP_JOIN SYN/ACK HMAC in frame " + synAck.frame());
            DecodedSegment ack = first(s -> flowKey(s).equals(flow) && option(s, MpJoinAck.class) != null,
                    "MP_JOIN third ACK of " + flow);
            assertArrayEquals(MptcpCrypto.joinAckHmac(initiatorKey, listenerKey, js.nonce(), sa.nonce()),
                    option(ack, MpJoinAck.class).hmac(), "MP_JOIN third-ACK HMAC in frame " + ack.frame());
            checked += 3;
        }
        for (DecodedSegment s : all(s -> addAddr(s, false) != null)) {
            AddAddr a = addAddr(s, false);
            boolean fromServer = sideOf(s).equals(server);
            long sender = fromServer ? serverKey : clientKey;
            long receiver = fromServer ? clientKey : serverKey;
            assertEquals(String.format("%016x", MptcpCrypto.addAddrHmac(sender, receiver,
                    a.addressId(), a.address(), a.port())), String.format("%016x", a.truncatedHmac()),
                    "ADD_ADDR HMAC in frame " + s.frame());
            checked++;
        }
        return checked;
    }

    /** The host a segment comes from: the client's or the server's side of the connection. */
    InetAddress sideOf(DecodedSegment s) {
        // The client sends from its port towards the server's listening port on every subflow.
        DecodedSegment syn = first(x -> x.flags() == TcpHeader.SYN && capable(x) != null, "SYN");
        return s.dstPort() == syn.dstPort() ? client : server;
    }

    static String flowKey(DecodedSegment s) {
        String a = s.src().getHostAddress() + ":" + s.srcPort();
        String b = s.dst().getHostAddress() + ":" + s.dstPort();
        return a.compareTo(b) < 0 ? a + "-" + b : b + "-" + a;
    }

    DecodedSegment first(SegmentTest t, String what) {
        for (DecodedSegment s : segments) {
            if (t.test(s)) {
                return s;
            }
        }
        throw new AssertionError("the capture has no " + what);
    }

    List<DecodedSegment> all(SegmentTest t) {
        List<DecodedSegment> out = new ArrayList<>();
        for (DecodedSegment s : segments) {
            if (t.test(s)) {
                out.add(s);
            }
        }
        return out;
    }

    private static DecodedSegment only(List<DecodedSegment> segments, SegmentTest t, String what) {
        DecodedSegment found = null;
        for (DecodedSegment s : segments) {
            if (t.test(s)) {
                assertTrue(found == null, "more than one " + what);
                found = s;
            }
        }
        assertNotNull(found, "the capture has no " + what);
        return found;
    }

    static <T extends TcpOption> T option(DecodedSegment s, Class<T> type) {
        for (TcpOption o : s.options()) {
            if (type.isInstance(o)) {
                return type.cast(o);
            }
        }
        return null;
    }

    static MpCapable capable(DecodedSegment s) {
        return option(s, MpCapable.class);
    }

    static MpCapable capableData(DecodedSegment s) {
        MpCapable c = capable(s);
        return c != null && c.form().length >= CapableForm.ACK_DATA.length ? c : null;
    }

    static MpJoinSyn joinSyn(DecodedSegment s) {
        return option(s, MpJoinSyn.class);
    }

    static Dss dss(DecodedSegment s) {
        return option(s, Dss.class);
    }

    static Dss mapping(DecodedSegment s) {
        Dss d = dss(s);
        return d != null && d.hasMapping() ? d : null;
    }

    static AddAddr addAddr(DecodedSegment s, boolean echo) {
        AddAddr a = option(s, AddAddr.class);
        return a != null && a.echo() == echo ? a : null;
    }
}
