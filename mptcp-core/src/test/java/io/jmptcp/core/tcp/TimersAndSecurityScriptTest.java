package io.jmptcp.core.tcp;

import io.jmptcp.core.mib.TcpMib;
import static io.jmptcp.core.tcp.Script.ISS;
import static io.jmptcp.core.tcp.Script.PEER_ISS;
import static io.jmptcp.core.tcp.Script.ack;
import static io.jmptcp.core.tcp.Script.data;
import static io.jmptcp.core.tcp.Script.plainConfig;
import static io.jmptcp.core.tcp.Script.seg;
import static io.jmptcp.core.tcp.Script.syn;
import static io.jmptcp.core.wire.TcpHeader.ACK;
import static io.jmptcp.core.wire.TcpHeader.PSH;
import static io.jmptcp.core.wire.TcpHeader.RST;
import static io.jmptcp.core.wire.TcpHeader.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.wire.TcpOption;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** RTO backoff, retry limits, keepalive, zero-window probes, RFC 5961 and PAWS as segment scripts. */
class TimersAndSecurityScriptTest {
    static final int A = ISS + 1;
    static final int P = PEER_ISS + 1;

    @Test
    void rtoBacksOffExponentially() {
        // One RTT sample of 10 ms: RTO = 10 + max(4 * 5, 200) = 210 ms (RFC 6298 2.2, Linux's floor).
        Script s = Script.established(plainConfig());
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.expect(10_000, data(A, P, 100));
        s.expectNothingUntil(219_999);
        s.expect(220_000, data(A, P, 100));   // RFC 6298 5.4
        s.expectNothingUntil(639_999);
        s.expect(640_000, data(A, P, 100));   // 5.5: doubled to 420 ms
        s.expectNothingUntil(1_479_999);
        s.expect(1_480_000, data(A, P, 100)); // 840 ms
        assertEquals(3, s.conn.mib().get(TcpMib.RTO_EXPIRED));
        // An ACK ends the episode; Karn's rule keeps the backed-off RTO until a fresh sample.
        s.send(1_490_000, seg(ACK, P, A + 100, 0));
        s.expectNothingUntil(2_000_000);
        assertEquals(1_680_000, s.conn.rtoMicros(), "Karn: no sample from a retransmitted segment");
        s.conn.send(ByteBuffer.wrap(new byte[10]));
        s.expect(2_000_000, data(A + 100, P, 10));
        s.send(2_010_000, seg(ACK, P, A + 110, 0));
        assertEquals(210_000, s.conn.rtoMicros(), "a fresh sample ends the backoff");
        s.expectNothingUntil(10_000_000);
    }

    static Script establishedWithSack() {
        Script s = Script.client(plainConfig().sack(true));
        s.expect(0, syn(ISS));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(1460), new TcpOption.SackPermitted()));
        s.expect(10_000, ack(A, P));
        return s;
    }

    @Test
    void tailLossProbeThenRackRecoversTheMiddleSegment() {
        Script s = establishedWithSack();
        s.conn.send(ByteBuffer.wrap(new byte[3000]));
        s.expect(10_000, new Script.Exp(ACK, A, P, 1460, null, ""), new Script.Exp(ACK, A + 1460, P, 1460, null, ""),
                data(A + 2920, P, 80));
        s.send(20_000, seg(ACK, P, A + 1460, 0));
        // RFC 8985 7.2: PTO = 2 SRTT = 20 ms; nothing new to send, so the last segment is probed.
        s.expectNothingUntil(39_999);
        s.expect(40_000, data(A + 2920, P, 80));
        // The probe is SACKed: RACK marks the middle segment lost at once (sent 30 ms earlier).
        s.send(50_000, seg(ACK, P, A + 1460, 0, new TcpOption.Sack(java.util.List.of(
                new TcpOption.SackBlock(A + 2920, A + 3000)))));
        s.expect(50_000, new Script.Exp(ACK, A + 1460, P, 1460, null, ""));
        s.send(60_000, seg(ACK, P, A + 3000, 0));
        s.expectNothingUntil(2_000_000);
        assertEquals(1, s.conn.mib().get(TcpMib.TLP_PROBES));
        assertEquals(1, s.conn.mib().get(TcpMib.SACK_RECOVERY));
        assertEquals(1, s.conn.mib().get(TcpMib.FAST_RETRANS));
        assertEquals(0, s.conn.mib().get(TcpMib.RTO_EXPIRED), "no timeout needed");
    }

    @Test
    void tailLossRepairedByTheProbeStillReducesTheWindow() {
        Script s = establishedWithSack();
        s.conn.send(ByteBuffer.wrap(new byte[2920]));
        s.expect(10_000, new Script.Exp(ACK, A, P, 1460, null, ""), data(A + 1460, P, 1460));
        s.send(20_000, seg(ACK, P, A + 1460, 0));
        // One segment out: PTO adds the peer's delayed-ACK allowance, 20 + 40 ms.
        s.expectNothingUntil(79_999);
        s.expect(80_000, data(A + 1460, P, 1460));
        assertEquals(Long.MAX_VALUE, s.conn.congestionControl().ssthresh());
        s.send(90_000, seg(ACK, P, A + 2920, 0)); // no D-SACK: the probe repaired a loss (RFC 8985 7.4)
        assertTrue(s.conn.congestionControl().ssthresh() < Long.MAX_VALUE, "congestion response");
    }

    static Script establishedWithTimestamps() {
        Script s = Script.client(plainConfig().timestamps(true));
        s.expect(0, syn(ISS));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(1460), new TcpOption.Timestamps(1000, 0)));
        s.expect(10_000, ack(A, P));
        return s;
    }

    @Test
    void spuriousTimeoutIsDetectedByTheTimestampEchoAndUndone() {
        Script s = establishedWithTimestamps();
        long before = s.conn.cwnd();
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.expect(10_000, data(A, P, 100).and("TSval 10", x -> x.header().options().contains(new TcpOption.Timestamps(10, 1000))));
        s.expect(220_000, data(A, P, 100).and("TSval 220", x -> x.header().options().contains(new TcpOption.Timestamps(220, 1000))));
        assertTrue(s.conn.cwnd() < before, "the timeout collapsed the window");
        // The ACK echoes 10, the original's TSval: the original arrived, the timeout was spurious.
        s.send(230_000, seg(ACK, P, A + 100, 0, new TcpOption.Timestamps(1010, 10)));
        assertEquals(1, s.conn.mib().get(TcpMib.SPURIOUS_RTO));
        assertTrue(s.conn.cwnd() >= before, "window restored (RFC 4015): " + s.conn.cwnd() + " < " + before);
    }

    @Test
    void genuineTimeoutIsNotUndone() {
        Script s = establishedWithTimestamps();
        long before = s.conn.cwnd();
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.expect(10_000, data(A, P, 100));
        s.expect(220_000, data(A, P, 100));
        s.send(230_000, seg(ACK, P, A + 100, 0, new TcpOption.Timestamps(1010, 220))); // echoes the retransmission
        assertEquals(0, s.conn.mib().get(TcpMib.SPURIOUS_RTO));
        assertTrue(s.conn.cwnd() < before);
    }

    @Test
    void synRetryLimitGivesAClearError() {
        Script s = Script.client(plainConfig().synRetries(2));
        s.expect(0, syn(ISS));
        s.expectNothingUntil(999_999);
        s.expect(1_000_000, syn(ISS));  // initial RTO 1 s (RFC 6298 2.1)
        s.expect(3_000_000, syn(ISS));  // doubled
        s.expectNothingUntil(6_999_999).state(TcpState.SYN_SENT);
        s.advance(7_000_000).state(TcpState.CLOSED);
        assertEquals(TcpError.SYN_RETRIES_EXCEEDED, s.conn.error());
        s.expectNothingUntil(100_000_000);
    }

    @Test
    void dataRetryLimitGivesAnError() {
        Script s = Script.established(plainConfig().maxRetries(2));
        s.conn.send(ByteBuffer.wrap(new byte[10]));
        s.expect(10_000, data(A, P, 10));
        s.expect(220_000, data(A, P, 10));
        s.expect(640_000, data(A, P, 10));
        s.advance(1_480_000).state(TcpState.CLOSED);
        assertEquals(TcpError.RETRANSMISSION_TIMEOUT, s.conn.error());
    }

    @Test
    void keepaliveProbesThenTimesOut() {
        Script s = Script.established(plainConfig().keepalive(10_000_000, 1_000_000, 2));
        s.expectNothingUntil(10_009_999);
        s.expect(10_010_000, ack(A - 1, P)); // RFC 9293 3.8.4: SEG.SEQ = SND.NXT - 1
        s.expect(11_010_000, ack(A - 1, P));
        s.advance(12_010_000).state(TcpState.CLOSED);
        assertEquals(TcpError.KEEPALIVE_TIMEOUT, s.conn.error());
    }

    @Test
    void keepaliveAnswerKeepsTheConnection() {
        Script s = Script.established(plainConfig().keepalive(10_000_000, 1_000_000, 2));
        s.expect(10_010_000, ack(A - 1, P));
        s.send(10_020_000, seg(ACK, P, A, 0));
        s.expectNothingUntil(20_019_999);
        s.expect(20_020_000, ack(A - 1, P)).state(TcpState.ESTABLISHED);
    }

    @Test
    void zeroWindowIsProbedWithBackoffAndReopens() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(ACK, P, A, 0, 0)); // window 0
        s.advance(30_000);
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.expectNothingUntil(239_999);
        s.expect(240_000, ack(A - 1, P));  // probe after one RTO
        s.expect(660_000, ack(A - 1, P));  // backed off
        s.send(670_000, seg(ACK, P, A, 65535, 0));
        s.expect(670_000, data(A, P, 100));
        assertEquals(2, s.conn.mib().get(TcpMib.WINDOW_PROBES));
    }

    @Test
    void nagleHoldsSmallSegmentsWhileDataIsUnacknowledged() {
        Script s = Script.established(plainConfig().nagle(true));
        s.conn.send(ByteBuffer.wrap(new byte[10]));
        s.expect(10_000, data(A, P, 10));
        s.conn.send(ByteBuffer.wrap(new byte[10]));
        s.conn.send(ByteBuffer.wrap(new byte[10]));
        s.expectNothingUntil(20_000);
        s.send(30_000, seg(ACK, P, A + 10, 0));
        s.expect(30_000, data(A + 10, P, 20));
    }

    // ---- RFC 5961 ----

    @Test
    void inWindowRstGetsAChallengeAckAndOutOfWindowRstIsIgnored() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(RST, P + 100, 0, 0));
        s.expect(20_000, ack(A, P)).state(TcpState.ESTABLISHED);
        assertEquals(1, s.conn.mib().get(TcpMib.CHALLENGE_ACKS));
        s.send(30_000, seg(RST, P + 1_000_000, 0, 0));
        s.expectNothingUntil(40_000).state(TcpState.ESTABLISHED);
        assertEquals(1, s.conn.mib().get(TcpMib.DROP_RST_OUT_OF_WINDOW));
        s.send(50_000, seg(RST, P, 0, 0)); // exactly RCV.NXT: accepted
        s.state(TcpState.CLOSED);
    }

    @Test
    void synInEstablishedGetsAChallengeAck() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(SYN, PEER_ISS + 500, 0, 0));
        s.expect(20_000, ack(A, P)).state(TcpState.ESTABLISHED);
        s.send(30_000, seg(SYN | ACK, PEER_ISS + 5_000_000, A, 0)); // out of window too
        s.expect(30_000, ack(A, P)).state(TcpState.ESTABLISHED);
    }

    @Test
    void challengeAcksAreRateLimited() {
        Script s = Script.established(plainConfig().challengeAckLimit(2));
        s.send(20_000, seg(RST, P + 1, 0, 0));
        s.expect(20_000, ack(A, P));
        s.send(21_000, seg(RST, P + 2, 0, 0));
        s.expect(21_000, ack(A, P));
        s.send(22_000, seg(RST, P + 3, 0, 0));
        s.expectNothingUntil(1_000_000);
        assertEquals(1, s.conn.mib().get(TcpMib.CHALLENGE_ACK_LIMITED));
        s.send(1_030_000, seg(RST, P + 4, 0, 0)); // a new second
        s.expect(1_030_000, ack(A, P));
    }

    @Test
    void blindDataWithAnAckForUnsentDataIsChallengedAndNotDelivered() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(ACK | PSH, P, A + 50_000, 10));
        s.expect(20_000, ack(A, P));
        assertEquals(0, s.conn.readable());
        assertEquals(1, s.conn.mib().get(TcpMib.DROP_BAD_ACK));
    }

    @Test
    void outOfWindowDataIsAnsweredWithAnAck() {
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(ACK, P + 100_000, A, 10));
        s.expect(20_000, ack(A, P));
        assertEquals(1, s.conn.mib().get(TcpMib.DROP_OUT_OF_WINDOW));
    }

    @Test
    void bareAckAtTheRightEdgeIsAcceptedAndOutOfWindowAcksAreRateLimited() {
        // A sender that filled our 65535-byte window sends its ACKs with SEG.SEQ at the right edge;
        // answering those with duplicate ACKs would start an ACK war between two such ends.
        Script s = Script.established(plainConfig());
        s.send(20_000, seg(ACK, P + 65535, A, 0));
        s.expectNothingUntil(30_000);
        s.send(40_000, seg(ACK, P + 70_000, A, 0));
        s.expect(40_000, ack(A, P));
        s.send(50_000, seg(ACK, P + 70_000, A, 0));
        s.expectNothingUntil(60_000);
        assertEquals(1, s.conn.mib().get(TcpMib.OOW_ACK_LIMITED));
        s.send(540_000, seg(ACK, P + 70_000, A, 0));
        s.expect(540_000, ack(A, P));
        s.send(541_000, seg(ACK, P + 70_000, A, 10)); // data is always answered
        s.expect(541_000, ack(A, P));
    }

    // ---- RFC 7323 ----

    @Test
    void pawsRejectsAnOldTimestamp() {
        TcpConfig cfg = plainConfig().timestamps(true);
        Script s = Script.client(cfg);
        s.expect(0, syn(ISS).and("with timestamps", x -> x.header().options().contains(new TcpOption.Timestamps(0, 0))));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(1460), new TcpOption.Timestamps(1000, 0)));
        s.expect(10_000, ack(A, P).and("echoing 1000", x -> x.header().options().contains(new TcpOption.Timestamps(10, 1000))));
        s.send(20_000, seg(ACK, P, A, 100, new TcpOption.Timestamps(1010, 10)));
        s.send(20_000, seg(ACK, P + 100, A, 100, new TcpOption.Timestamps(1011, 10)));
        s.expect(20_000, ack(A, P + 200));
        // The next segment in sequence, but stamped before TS.Recent: PAWS drops it.
        s.send(30_000, seg(ACK, P + 200, A, 100, new TcpOption.Timestamps(900, 10)));
        s.expect(30_000, ack(A, P + 200));
        assertEquals(200, s.conn.readable());
        assertEquals(1, s.conn.mib().get(TcpMib.DROP_PAWS));
        // A RST is exempt from PAWS (RFC 7323 5.3 R1).
        s.send(40_000, seg(RST, P + 200, 0, 0, new TcpOption.Timestamps(5, 0)));
        s.state(TcpState.CLOSED);
    }

    /**
     * Linux sends some pure ACKs (its path manager's ADD_ADDR / REMOVE_ADDR) with a cached, older
     * timestamp: a duplicate ACK at RCV.NXT, window unchanged, stamped within an RTO of TS.Recent,
     * passes PAWS as in Linux's tcp_disordered_ack, so its options are not lost. One with data, or
     * stamped further back, is still dropped.
     */
    @Test
    void pawsLetsADisorderedPureAckThrough() {
        TcpConfig cfg = plainConfig().timestamps(true);
        Script s = Script.client(cfg);
        s.expect(0, syn(ISS));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(1460), new TcpOption.Timestamps(1000, 0)));
        s.expect(10_000, ack(A, P));
        s.send(20_000, seg(ACK, P, A, 100, new TcpOption.Timestamps(1010, 10)));
        s.send(30_000, seg(ACK, P + 100, A, 0, new TcpOption.Timestamps(1005, 10)));
        assertEquals(0, s.conn.mib().get(TcpMib.DROP_PAWS), "a disordered pure ACK passes");
        s.send(40_000, seg(ACK, P + 100, A, 0, new TcpOption.Timestamps(10, 10)));
        s.expect(40_000, ack(A, P + 100)); // the PAWS drop is answered with an ACK
        assertEquals(1, s.conn.mib().get(TcpMib.DROP_PAWS), "stamped far more than an RTO back: dropped");
        s.send(50_000, seg(ACK, P + 100, A, 100, new TcpOption.Timestamps(1005, 10)));
        assertEquals(2, s.conn.mib().get(TcpMib.DROP_PAWS), "with data: dropped");
    }

    @Test
    void windowScaleIsNegotiatedOnlyWhenBothOffer() {
        TcpConfig cfg = plainConfig().windowScaling(true).receiveBuffer(1 << 20);
        Script s = Script.client(cfg);
        s.expect(0, syn(ISS).and("wscale 5", x -> x.header().options().contains(new TcpOption.WindowScale(5))));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 65535, 0, new TcpOption.WindowScale(3)));
        s.expect(10_000, ack(A, P).and("window scaled by 5", x -> x.header().window() == (1 << 20) >> 5));
        s.send(20_000, seg(ACK, P, A, 1000, 0));
        assertEquals(8000, s.conn.sendWindow());

        Script t = Script.client(cfg);
        t.expect(0, syn(ISS));
        t.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 65535, 0));
        t.expect(10_000, ack(A, P).and("unscaled window", x -> x.header().window() == 65535));
        assertEquals(0, t.conn.receiveWindowScale());
    }

    @Test
    void mssIsClampedToThePathMtuAndSegmentsFollowIt() {
        Script s = Script.client(plainConfig().pathMtu(1400, false));
        s.expect(0, syn(ISS).and("MSS 1360", x -> x.header().options().contains(new TcpOption.Mss(1360))));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(1460)));
        s.expect(10_000, ack(A, P));
        assertEquals(1360, s.conn.sendMss());
        s.conn.send(ByteBuffer.wrap(new byte[3000]));
        s.expect(10_000, new Script.Exp(ACK, A, P, 1360, null, ""), new Script.Exp(ACK, A + 1360, P, 1360, null, ""),
                data(A + 2720, P, 280));
    }

    @Test
    void peerMssBelowOursLimitsSegments() {
        Script s = Script.client(plainConfig());
        s.expect(0, syn(ISS));
        s.send(10_000, seg(SYN | ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(500)));
        s.expect(10_000, ack(A, P));
        s.conn.send(ByteBuffer.wrap(new byte[600]));
        s.expect(10_000, new Script.Exp(ACK, A, P, 500, null, ""), data(A + 500, P, 100));
    }

    @Test
    void isnFollowsRfc6528() {
        IsnGenerator g = new IsnGenerator(new byte[32]);
        FourTuple t = Script.tuple();
        int a = g.isn(t, 0);
        assertEquals(a + 250, g.isn(t, 1000), "M ticks every 4 microseconds");
        IsnGenerator other = new IsnGenerator(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        org.junit.jupiter.api.Assertions.assertNotEquals(a, other.isn(t, 0), "keyed by the secret");
        org.junit.jupiter.api.Assertions.assertNotEquals(a, g.isn(t.reversed(), 0), "keyed by the 4-tuple");
    }
}
