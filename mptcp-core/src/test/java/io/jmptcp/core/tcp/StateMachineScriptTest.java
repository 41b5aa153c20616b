package io.jmptcp.core.tcp;

import static io.jmptcp.core.tcp.Script.ISS;
import static io.jmptcp.core.tcp.Script.PEER_ISS;
import static io.jmptcp.core.tcp.Script.ack;
import static io.jmptcp.core.tcp.Script.data;
import static io.jmptcp.core.tcp.Script.fin;
import static io.jmptcp.core.tcp.Script.plainConfig;
import static io.jmptcp.core.tcp.Script.rst;
import static io.jmptcp.core.tcp.Script.rstAck;
import static io.jmptcp.core.tcp.Script.seg;
import static io.jmptcp.core.tcp.Script.syn;
import static io.jmptcp.core.tcp.Script.synAck;
import static io.jmptcp.core.wire.TcpHeader.ACK;
import static io.jmptcp.core.wire.TcpHeader.FIN;
import static io.jmptcp.core.wire.TcpHeader.PSH;
import static io.jmptcp.core.wire.TcpHeader.RST;
import static io.jmptcp.core.wire.TcpHeader.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mib.TcpMib;
import io.jmptcp.core.wire.TcpOption;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Every transition of RFC 9293 section 3.3.2 (figure 5), as segment scripts on virtual time. */
class StateMachineScriptTest {
    static final int A = ISS + 1;        // our first data sequence number
    static final int P = PEER_ISS + 1;   // the peer's

    @Test
    void activeOpenClosedToSynSentToEstablished() {
        Script s = Script.client(plainConfig());
        s.state(TcpState.SYN_SENT);
        s.expect(0, syn(ISS).and("with MSS 1460", x -> x.header().options().contains(new TcpOption.Mss(1460))));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(1400)));
        s.expect(10_000, ack(A, P)).state(TcpState.ESTABLISHED);
        assertEquals(1400, s.conn.sendMss(), "MSS negotiated down to the peer's");
        assertEquals(10_000, s.conn.srttMicros(), "RTT sampled from the SYN");
    }

    /** After one timeout the SYN goes out again once, not once more for every segment that arrives. */
    @Test
    void aSegmentInSynSentAfterATimeoutDrawsNoSecondSyn() {
        Script s = Script.client(plainConfig());
        s.expect(0, syn(ISS));
        s.expect(1_000_000, syn(ISS)); // the initial RTO
        s.send(1_100_000, seg(RST, 0, 0, 0)); // no ACK: not acceptable in SYN-SENT, dropped
        s.send(1_200_000, seg(RST, 0, 0, 0));
        s.state(TcpState.SYN_SENT).expectNothingUntil(2_900_000);
        s.expect(3_000_000, syn(ISS)); // the backed-off RTO
    }

    @Test
    void passiveOpenListenToSynReceivedToEstablished() {
        Script s = Script.server(plainConfig());
        s.state(TcpState.LISTEN).expectNothingUntil(1_000_000);
        s.send(1_000_000, seg(SYN, PEER_ISS, 0, 0, new TcpOption.Mss(1460)));
        s.expect(1_000_000, synAck(ISS, P)).state(TcpState.SYN_RECEIVED);
        s.send(1_020_000, seg(ACK, P, A, 0));
        s.state(TcpState.ESTABLISHED).expectNothingUntil(2_000_000);
    }

    @Test
    void closeInSynReceivedSendsFinAfterTheHandshake() {
        Script s = Script.server(plainConfig());
        s.send(0, seg(SYN, PEER_ISS, 0, 0));
        s.expect(0, synAck(ISS, P));
        s.conn.close();
        s.state(TcpState.SYN_RECEIVED).expectNothingUntil(10_000);
        s.send(20_000, seg(ACK, P, A, 0));
        s.expect(20_000, fin(A, P)).state(TcpState.FIN_WAIT_1);
    }

    @Test
    void closeInListenOrSynSentDeletesTheConnection() {
        Script l = Script.server(plainConfig());
        l.conn.close();
        l.state(TcpState.CLOSED).expectNothingUntil(10_000_000);
        Script c = Script.client(plainConfig());
        c.expect(0, syn(ISS));
        c.conn.close();
        c.state(TcpState.CLOSED).expectNothingUntil(10_000_000); // no SYN retransmissions
        assertEquals(null, c.conn.error());
    }

    @Test
    void synReceivedRetransmitsSynAckOnDuplicateSyn() {
        Script s = Script.server(plainConfig());
        s.send(0, seg(SYN, PEER_ISS, 0, 0));
        s.expect(0, synAck(ISS, P));
        s.send(5_000, seg(SYN, PEER_ISS, 0, 0));
        s.expect(5_000, synAck(ISS, P)).state(TcpState.SYN_RECEIVED);
    }

    @Test
    void simultaneousOpen() {
        Script s = Script.client(plainConfig());
        s.expect(0, syn(ISS));
        s.send(5_000, seg(SYN, PEER_ISS, 0, 0));
        s.expect(5_000, synAck(ISS, P)).state(TcpState.SYN_RECEIVED);
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0));
        s.state(TcpState.ESTABLISHED);
        s.expect(10_000, ack(A, P));
    }

    @Test
    void dataIsAcknowledgedAfterTheDelayedAckTimeoutOrEverySecondSegment() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(ACK | PSH, P, A, 100));
        s.expectNothingUntil(59_999);
        s.expect(60_000, ack(A, P + 100)); // 40 ms delayed ACK
        s.send(70_000, seg(ACK, P + 100, A, 100));
        s.send(70_001, seg(ACK, P + 200, A, 100));
        s.expect(70_001, ack(A, P + 300)); // every second segment at once
        byte[] buf = new byte[300];
        assertEquals(300, s.conn.read(buf, 0, 300));
        assertEquals((byte) P, buf[0]);
    }

    @Test
    void outOfOrderSegmentIsAcknowledgedAtOnceAndReassembled() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(ACK, P + 100, A, 100));
        s.expect(20_000, ack(A, P)); // duplicate ACK (RFC 5681 4.2)
        s.send(21_000, seg(ACK, P, A, 100));
        s.expect(21_000, ack(A, P + 200)); // the gap is filled: immediate ACK
        assertEquals(200, s.conn.readable());
    }

    @Test
    void activeCloseThroughFinWait1FinWait2TimeWaitToClosed() {
        Script s = Script.established(plainConfig());
        s.conn.close();
        s.state(TcpState.FIN_WAIT_1);
        s.expect(10_000, fin(A, P));
        s.send(20_000, seg(ACK, P, A + 1, 0));
        s.state(TcpState.FIN_WAIT_2).expectNothingUntil(30_000);
        // Half-close: the peer may still send data, which we deliver.
        s.send(30_000, seg(ACK | PSH, P, A + 1, 10));
        s.send(30_000, seg(FIN | ACK, P + 10, A + 1, 0));
        s.expect(30_000, ack(A + 1, P + 11)).state(TcpState.TIME_WAIT);
        assertEquals(10, s.conn.read(new byte[20], 0, 20));
        assertEquals(-1, s.conn.read(new byte[20], 0, 20), "end of stream");
        // A retransmitted FIN in TIME-WAIT is acknowledged and restarts the 2 MSL timer.
        s.send(1_030_000, seg(FIN | ACK, P + 10, A + 1, 0));
        s.expect(1_030_000, ack(A + 1, P + 11));
        s.advance(61_029_999).state(TcpState.TIME_WAIT);
        s.advance(61_030_000).state(TcpState.CLOSED);
        assertEquals(null, s.conn.error());
    }

    /** An orphaned connection whose peer acknowledged our FIN but never sends its own is forgotten after the fin timeout. */
    @Test
    void orphanedFinWait2EndsAfterTheFinTimeout() {
        Script s = Script.established(plainConfig().finTimeoutMicros(5_000_000));
        s.conn.close();
        s.conn.orphan();
        s.expect(10_000, fin(A, P));
        s.send(20_000, seg(ACK, P, A + 1, 0));
        s.state(TcpState.FIN_WAIT_2).expectNothingUntil(5_019_999);
        s.advance(5_019_999).state(TcpState.FIN_WAIT_2);
        s.advance(5_020_000).state(TcpState.CLOSED);
        assertEquals(1, s.mib.get(TcpMib.FIN_WAIT2_TIMEOUT));
        assertEquals(null, s.conn.error());
    }

    /** A half-closed connection (not orphaned) may wait in FIN-WAIT-2 as long as the peer likes, as TCP allows. */
    @Test
    void halfClosedFinWait2HasNoTimeout() {
        Script s = Script.established(plainConfig().finTimeoutMicros(5_000_000));
        s.conn.close();
        s.expect(10_000, fin(A, P));
        s.send(20_000, seg(ACK, P, A + 1, 0));
        s.advance(600_000_000).state(TcpState.FIN_WAIT_2);
        s.send(600_000_000, seg(FIN | ACK, P, A + 1, 0));
        s.expect(600_000_000, ack(A + 1, P + 1)).state(TcpState.TIME_WAIT);
        assertEquals(0, s.mib.get(TcpMib.FIN_WAIT2_TIMEOUT));
    }

    @Test
    void finWait1ToTimeWaitWhenFinAndAckArriveTogether() {
        Script s = Script.established(plainConfig());
        s.conn.close();
        s.expect(10_000, fin(A, P));
        s.send(20_000, seg(FIN | ACK, P, A + 1, 0));
        s.expect(20_000, ack(A + 1, P + 1)).state(TcpState.TIME_WAIT);
    }

    @Test
    void simultaneousCloseThroughClosing() {
        Script s = Script.established(plainConfig());
        s.conn.close();
        s.expect(10_000, fin(A, P));
        s.send(15_000, seg(FIN | ACK, P, A, 0)); // the peer's FIN does not ack ours
        s.expect(15_000, ack(A + 1, P + 1)).state(TcpState.CLOSING);
        s.send(20_000, seg(ACK, P + 1, A + 1, 0));
        s.state(TcpState.TIME_WAIT);
    }

    @Test
    void passiveCloseThroughCloseWaitAndLastAck() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(FIN | ACK, P, A, 0));
        s.expect(20_000, ack(A, P + 1)).state(TcpState.CLOSE_WAIT);
        // Half-close the other way: we can still send.
        assertEquals(5, s.conn.send(ByteBuffer.wrap(new byte[5])));
        s.expect(20_000, data(A, P + 1, 5));
        s.conn.close();
        s.state(TcpState.LAST_ACK);
        s.expect(20_000, fin(A + 5, P + 1));
        s.send(30_000, seg(ACK, P + 1, A + 6, 0));
        s.state(TcpState.CLOSED).expectNothingUntil(200_000_000L);
    }

    @Test
    void dataWrittenBeforeTheHandshakeCarriesTheFinalAck() {
        Script s = Script.client(plainConfig());
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.expect(0, syn(ISS)); // no data on the SYN
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0));
        s.expect(10_000, data(A, P, 100));
    }

    @Test
    void fullReceiveBufferAdvertisesZeroAndReadingReopensIt() {
        Script s = Script.established(plainConfig().receiveBuffer(4000));
        s.send(20_000, seg(ACK, P, A, 2000));
        s.send(20_000, seg(ACK, P + 2000, A, 2000));
        s.expect(20_000, ack(A, P + 4000).and("window 0", x -> x.header().window() == 0));
        s.conn.read(new byte[1000], 0, 1000);
        s.expectNothingUntil(30_000); // 1000 bytes: less than an MSS, no update (receiver SWS avoidance)
        s.conn.read(new byte[3000], 0, 3000);
        s.expect(30_000, ack(A, P + 4000).and("window 4000", x -> x.header().window() == 4000));
    }

    @Test
    void finPiggybacksOnTheLastDataSegment() {
        Script s = Script.established(plainConfig());
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.conn.close();
        s.expect(10_000, new Script.Exp(ACK | PSH | FIN, A, P, 100, null, ""));
    }

    // ---- RST in every state (RFC 9293 3.10.7, RFC 5961 section 3) ----

    @Test
    void rstInSynSentWithAcceptableAckRefusesTheConnection() {
        Script s = Script.client(plainConfig());
        s.expect(0, syn(ISS));
        s.send(1_000, seg(RST | ACK, 0, ISS + 1, 0));
        s.state(TcpState.CLOSED).expectNothingUntil(10_000_000);
        assertEquals(TcpError.CONNECTION_REFUSED, s.conn.error());
    }

    @Test
    void rstInSynSentWithoutAckIsIgnoredAndBadAckIsReset() {
        Script s = Script.client(plainConfig());
        s.expect(0, syn(ISS));
        s.send(1_000, seg(RST, 0, 0, 0));
        s.state(TcpState.SYN_SENT);
        s.send(2_000, seg(SYN | ACK, PEER_ISS, ISS + 77, 0));
        s.expect(2_000, rst(ISS + 77)).state(TcpState.SYN_SENT); // RFC 9293: <SEQ=SEG.ACK><CTL=RST>
    }

    @Test
    void rstInListenIsIgnoredAndAckInListenIsReset() {
        Script s = Script.server(plainConfig());
        s.send(0, seg(RST, 7, 0, 0));
        s.state(TcpState.LISTEN).expectNothingUntil(1_000);
        s.send(2_000, seg(ACK, 7, 1234, 0));
        s.expect(2_000, rst(1234)).state(TcpState.LISTEN);
    }

    @Test
    void rstInSynReceivedClosesTheConnection() {
        Script s = Script.server(plainConfig());
        s.send(0, seg(SYN, PEER_ISS, 0, 0));
        s.expect(0, synAck(ISS, P));
        s.send(1_000, seg(RST, P, 0, 0));
        s.state(TcpState.CLOSED);
    }

    @Test
    void exactRstResetsEveryOtherSynchronisedState() {
        for (TcpState target : new TcpState[]{TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2,
                TcpState.CLOSE_WAIT, TcpState.CLOSING, TcpState.LAST_ACK, TcpState.TIME_WAIT}) {
            Script s = Script.established(plainConfig());
            int rcvNxt = P;
            switch (target) {
                case FIN_WAIT_1 -> {
                    s.conn.close();
                    s.expect(10_000, fin(A, P));
                }
                case FIN_WAIT_2 -> {
                    s.conn.close();
                    s.expect(10_000, fin(A, P));
                    s.send(11_000, seg(ACK, P, A + 1, 0));
                }
                case CLOSE_WAIT -> {
                    s.send(11_000, seg(FIN | ACK, P, A, 0));
                    s.expect(11_000, ack(A, P + 1));
                    rcvNxt = P + 1;
                }
                case CLOSING -> {
                    s.conn.close();
                    s.expect(10_000, fin(A, P));
                    s.send(11_000, seg(FIN | ACK, P, A, 0));
                    s.expect(11_000, ack(A + 1, P + 1));
                    rcvNxt = P + 1;
                }
                case LAST_ACK -> {
                    s.send(11_000, seg(FIN | ACK, P, A, 0));
                    s.expect(11_000, ack(A, P + 1));
                    s.conn.close();
                    s.expect(11_000, fin(A, P + 1));
                    rcvNxt = P + 1;
                }
                case TIME_WAIT -> {
                    s.conn.close();
                    s.expect(10_000, fin(A, P));
                    s.send(11_000, seg(FIN | ACK, P, A + 1, 0));
                    s.expect(11_000, ack(A + 1, P + 1));
                    rcvNxt = P + 1;
                }
                default -> {
                }
            }
            s.state(target);
            s.send(12_000, seg(RST, rcvNxt, 0, 0));
            s.state(TcpState.CLOSED);
            s.expectNothingUntil(13_000);
            boolean closing = target == TcpState.CLOSING || target == TcpState.LAST_ACK || target == TcpState.TIME_WAIT;
            assertEquals(closing ? null : TcpError.CONNECTION_RESET, s.conn.error(), target.toString());
        }
    }

    @Test
    void segmentToAClosedConnectionIsAnsweredWithRst() {
        Script s = Script.established(plainConfig());
        s.send(11_000, seg(RST, P, 0, 0));
        s.state(TcpState.CLOSED);
        s.send(12_000, seg(ACK, P, A + 5, 0));
        s.expect(12_000, rst(A + 5));
        s.send(13_000, seg(0, P, 0, 10)); // no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
        s.expect(13_000, rstAck(0, P + 10));
    }

    @Test
    void connectionLevelCanAskForAnAck() {
        Script s = Script.established(plainConfig());
        s.expectNothingUntil(20_000);
        s.conn.requestAck();
        s.expect(20_000, ack(A, P));
    }

    @Test
    void optionHookSeesTheSynTheAckAndTheRst() {
        Script s = Script.client(plainConfig());
        java.util.List<String> seen = new java.util.ArrayList<>();
        s.conn.setOptionWriter((flags, seq, len, tag, budget, out) -> {
            seen.add(io.jmptcp.core.wire.TcpHeader.flagLetters(flags) + "@" + seq + "/" + budget);
            out.add(new TcpOption.Unknown(TcpOption.KIND_MPTCP, new byte[]{(byte) flags}));
        }, 0);
        s.expect(0, syn(ISS).and("hook option", x -> x.header().options().contains(
                new TcpOption.Unknown(TcpOption.KIND_MPTCP, new byte[]{SYN}))));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0));
        s.expect(10_000, ack(A, P));
        s.conn.abort();
        s.expect(10_000, rstAck(A, P).and("hook option on the RST", x -> x.header().options().contains(
                new TcpOption.Unknown(TcpOption.KIND_MPTCP, new byte[]{RST | ACK}))));
        // SYN budget: 40 minus the MSS option (4) when SACK, timestamps and scaling are off.
        assertEquals(java.util.List.of("S@0/36", "A@1/40", "RA@1/40"), seen);
    }

    @Test
    void abortSendsRst() {
        Script s = Script.established(plainConfig());
        s.conn.abort();
        s.expect(10_000, rstAck(A, P)).state(TcpState.CLOSED);
        assertEquals(TcpError.ABORTED, s.conn.error());
    }
}
