package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.engine.Engine;
import io.jmptcp.core.engine.SynCookies;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.sim.NetSim;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.sim.SimStack;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpState;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import io.jmptcp.core.wire.TcpOptionCodec;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SYN cookies at a listener whose half-open bound is reached: the SYN,ACK carries the cookie and
 * no state is kept; only an ACK that brings back a valid cookie (and, with MP_CAPABLE, echoes the
 * cookie's key) makes a connection, with the options the cookie kept. The codec's own rules are
 * checked on {@link SynCookies} directly.
 */
class SynCookieTest {
    static final int PORT = 5000;
    static final InetAddress S = MultiPathNet.addr("10.0.9.1");
    static final InetAddress X = MultiPathNet.addr("10.0.7.7");

    NetSim sim;
    SimStack server;
    MptcpConnectionFactory factory;
    Engine.Listener listener;
    final List<Packet> wire = new ArrayList<>();

    @BeforeEach
    void up() {
        sim = new NetSim();
        factory = new MptcpConnectionFactory(new MptcpConfig());
        server = new SimStack(sim, List.of(S), factory, 7);
        server.setWire(b -> wire.add(new Packet(-1, b)));
        server.setApp(now -> { });
        listener = server.listen(PORT, 16, 2);
        // two half-open connections fill the SYN queue
        for (int i = 0; i < 2; i++) {
            server.receive(new FourTuple(S, PORT, MultiPathNet.addr("10.0.8." + (i + 1)), 40000), syn(1000 + i, true));
        }
        assertEquals(2, listener.halfOpen());
        wire.clear();
    }

    static Segment syn(int isn, boolean mptcp) {
        List<TcpOption> o = new ArrayList<>(List.of(new TcpOption.Mss(1410), new TcpOption.SackPermitted(),
                new TcpOption.Timestamps(777, 0), new TcpOption.WindowScale(7)));
        if (mptcp) {
            o.add(MptcpOption.MpCapable.syn(MptcpOption.CAP_H_HMAC_SHA256));
        }
        return Segment.of(new TcpHeader(41000, PORT, isn, 0, TcpHeader.SYN, 64240, 0, 0, o));
    }

    FourTuple fromX() {
        return new FourTuple(S, PORT, X, 41000);
    }

    /** X's SYN beyond the bound: the cookie SYN,ACK. */
    TcpHeader cookieSynAck(boolean mptcp) {
        int tokens = factory.tokenCount();
        int live = server.liveConnections();
        server.receive(fromX(), syn(5000, mptcp));
        assertEquals(1, wire.size(), "one SYN,ACK: " + wire);
        TcpHeader h = wire.remove(0).segment().header();
        assertEquals(TcpHeader.SYN | TcpHeader.ACK, h.flags());
        assertEquals(5001, h.ack());
        assertEquals(1, server.engine().counter(StackMib.SYN_COOKIES_SENT));
        // nothing kept: no connection, no token, the queue as it was
        assertEquals(live, server.liveConnections());
        assertEquals(tokens, factory.tokenCount());
        assertEquals(2, listener.halfOpen());
        return h;
    }

    static long senderKey(TcpHeader synAck) {
        MptcpOption.MpCapable cap = TcpOptionCodec.first(synAck.options(), MptcpOption.MpCapable.class);
        assertNotNull(cap, "MP_CAPABLE in " + synAck);
        return cap.senderKey();
    }

    Segment ack(int ackNo, TcpOption... extra) {
        List<TcpOption> o = new ArrayList<>(List.of(new TcpOption.Timestamps(778, 1)));
        o.addAll(List.of(extra));
        return Segment.of(new TcpHeader(41000, PORT, 5001, ackNo, TcpHeader.ACK, 502, 0, 0, o));
    }

    /** The RST the server answered with (and nothing else), and no connection made. */
    void assertRefused() {
        assertEquals(1, wire.size(), wire::toString);
        assertTrue(wire.remove(0).segment().header().has(TcpHeader.RST));
        assertTrue(server.accepted.isEmpty());
        assertEquals(0, server.engine().counter(StackMib.SYN_COOKIES_RECV));
    }

    @Test
    void anAckThatBringsBackTheCookieAndItsKeyMakesTheConnectionWithTheKeptOptions() {
        TcpHeader sa = cookieSynAck(true);
        long key = senderKey(sa);
        server.receive(fromX(), ack(sa.seq() + 1,
                MptcpOption.MpCapable.ack(MptcpOption.CAP_H_HMAC_SHA256, 0x1122334455667788L, key)));
        assertEquals(1, server.engine().counter(StackMib.SYN_COOKIES_RECV));
        assertEquals(0, server.engine().counter(StackMib.SYN_COOKIES_FAILED));
        assertTrue(wire.stream().noneMatch(p -> p.segment().header().has(TcpHeader.RST)), wire::toString);
        assertEquals(1, server.accepted.size());
        MptcpConnection c = (MptcpConnection) server.accepted.get(0);
        assertEquals(Connection.State.ESTABLISHED, c.state());
        assertTrue(c.info().mptcp() && !c.info().fallback(), c.info()::toString);
        assertEquals(key, c.localKey());
        assertEquals(0x1122334455667788L, c.remoteKey());
        var tcp = c.subflows().get(0).tcp;
        assertEquals(TcpState.ESTABLISHED, tcp.state());
        assertEquals(1400, tcp.sendMss(), "1410 rounded down to a cookie's value");
        assertEquals(7, tcp.sendWindowScale());
        assertTrue(tcp.sackEnabled() && tcp.timestampsEnabled());
        assertTrue(tcp.srttMicros() < 0, "no RTT sample from a SYN,ACK sent by a connection not kept");
        assertEquals(factory.tokenCount(), 3, "the two half-open connections and this one");
    }

    @Test
    void anAckWithoutMpCapableMakesAPlainTcpConnection() {
        TcpHeader sa = cookieSynAck(true);
        server.receive(fromX(), ack(sa.seq() + 1));
        assertEquals(1, server.accepted.size());
        Connection c = server.accepted.get(0);
        assertEquals(Connection.State.ESTABLISHED, c.state());
        assertTrue(c.info().fallback() || !c.info().mptcp(), c.info()::toString);
    }

    @Test
    void aWrongCookieIsResetAndCounted() {
        TcpHeader sa = cookieSynAck(false);
        server.receive(fromX(), ack(sa.seq() + 1 + (1 << 11))); // one bit of the hash off
        assertRefused();
        assertEquals(1, server.engine().counter(StackMib.SYN_COOKIES_FAILED));
        server.receive(fromX(), ack(sa.seq() + 1 ^ 0x80)); // the SACK bit flipped
        assertRefused();
        assertEquals(2, server.engine().counter(StackMib.SYN_COOKIES_FAILED));
    }

    @Test
    void theRightCookieWithTheWrongKeyIsResetAndCounted() {
        TcpHeader sa = cookieSynAck(true);
        long key = senderKey(sa);
        server.receive(fromX(), ack(sa.seq() + 1,
                MptcpOption.MpCapable.ack(MptcpOption.CAP_H_HMAC_SHA256, 0x1122334455667788L, key ^ 1)));
        assertRefused();
        assertEquals(1, server.engine().counter(StackMib.SYN_COOKIES_FAILED));
    }

    @Test
    void aCookieIsGoodForItsTickAndTheNextOnly() {
        TcpHeader sa = cookieSynAck(false);
        sim.runTo(SynCookies.LIFETIME_MICROS + 1); // two ticks later: expired
        wire.clear(); // the half-open connections' SYN,ACKs, sent again meanwhile
        server.receive(fromX(), ack(sa.seq() + 1));
        assertRefused();
    }

    @Test
    void anMpJoinSynTakesNoCookie() {
        Segment join = Segment.of(new TcpHeader(41000, PORT, 9, 0, TcpHeader.SYN, 64240, 0, 0,
                List.of(new TcpOption.Mss(1460), new MptcpOption.MpJoinSyn(false, 1, 0x12345678, 42))));
        server.receive(fromX(), join);
        assertEquals(0, server.engine().counter(StackMib.SYN_COOKIES_SENT));
        assertEquals(1, wire.size(), wire::toString);
        assertTrue(wire.get(0).segment().header().has(TcpHeader.RST), "an unknown token is reset");
    }

    @Test
    void theCodecRoundsTheMssDownAndKeepsWindowScaleAndSack() {
        SynCookies c = new SynCookies(new SplittableRandom(1)::nextLong);
        FourTuple t = fromX();
        int[][] mssKept = {{100, 536}, {536, 536}, {1359, 1200}, {1439, 1400}, {1460, 1460}, {4000, 1460}, {9000, 8960}};
        for (int[] mk : mssKept) {
            int mss = mk[0];
            for (int ws : new int[] {-1, 0, 7, 14}) {
                for (boolean sack : new boolean[] {false, true}) {
                    List<TcpOption> o = new ArrayList<>(List.of(new TcpOption.Mss(mss)));
                    if (ws >= 0) {
                        o.add(new TcpOption.WindowScale(ws));
                    }
                    if (sack) {
                        o.add(new TcpOption.SackPermitted());
                    }
                    Segment s = Segment.of(new TcpHeader(41000, PORT, 77, 0, TcpHeader.SYN, 1000, 0, 0, o));
                    int cookie = c.cookie(t, s, 5_000_000);
                    SynCookies.Syn kept = c.check(t, 77, cookie, 5_000_000 + SynCookies.TICK_MICROS);
                    assertEquals(new SynCookies.Syn(mk[1], ws, sack), kept, mss + " " + ws + " " + sack);
                    assertNull(c.check(t, 78, cookie, 5_000_000), "another peer ISN");
                    assertNull(c.check(new FourTuple(S, PORT, X, 41001), 77, cookie, 5_000_000), "another port");
                    assertNull(c.check(t, 77, cookie, 5_000_000 + 2 * SynCookies.TICK_MICROS), "expired");
                }
            }
        }
        assertNotEquals(c.key(t, 1), c.key(t, 2));
        assertNotEquals(c.key(t, 1), new SynCookies(new SplittableRandom(2)::nextLong).key(t, 1));
        assertFalse(c.key(t, 1) == 0);
    }
}
