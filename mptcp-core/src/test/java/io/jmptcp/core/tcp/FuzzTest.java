package io.jmptcp.core.tcp;

import static io.jmptcp.core.tcp.Script.ISS;
import static io.jmptcp.core.tcp.Script.PEER_ISS;
import static io.jmptcp.core.wire.TcpHeader.ACK;
import static io.jmptcp.core.wire.TcpHeader.SYN;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bad wire input is dropped and counted, never thrown: random segments (flags, sequence and
 * acknowledgment numbers near and far, windows, malformed and unknown options, SACK blocks, stale
 * timestamps) against connections in every state, with the engine's invariants checked after each.
 */
class FuzzTest {
    static final int A = ISS + 1;
    static final int P = PEER_ISS + 1;

    @Test
    void randomSegmentsNeverThrowAndKeepInvariants() {
        long steps = 0;
        for (long seed = 0; seed < 25; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            TcpConfig cfg = new TcpConfig().receiveBuffer(1 << 18).timeWaitMicros(2_000_000).keepalive(5_000_000, 500_000, 3);
            Script s = Script.client(cfg);
            s.expect(0, Script.syn(ISS));
            s.send(10_000, Script.seg(SYN | ACK, PEER_ISS, ISS + 1, 65535, 0, new TcpOption.Mss(1460),
                    new TcpOption.SackPermitted(), new TcpOption.Timestamps(777, 0), new TcpOption.WindowScale(7)));
            long now = 10_000;
            List<Segment> sink = new ArrayList<>();
            for (int i = 0; i < 3000 && s.conn.state() != TcpState.CLOSED; i++) {
                now += rnd.nextInt(20_000);
                Segment seg = randomSegment(rnd);
                try {
                    if (rnd.nextInt(10) == 0 && s.conn.state() == TcpState.ESTABLISHED) {
                        s.conn.send(ByteBuffer.wrap(new byte[rnd.nextInt(5000)]));
                    }
                    if (rnd.nextInt(50) == 0 && s.conn.state() == TcpState.ESTABLISHED) {
                        s.conn.close();
                    }
                    s.conn.input(now, seg);
                    s.conn.poll(now, sink::add);
                    s.conn.read(new byte[4096], 0, 4096);
                } catch (RuntimeException e) {
                    throw new AssertionError("seed " + seed + " step " + i + " segment " + seg + " state " + s.conn, e);
                }
                check(s.conn, seed, i);
                steps++;
            }
            for (Segment out : sink) {
                int opts = out.optionsLength();
                if (opts > TcpHeader.MAX_OPTIONS_LENGTH) {
                    fail("emitted " + opts + " option bytes: " + out);
                }
            }
        }
        assertTrue(steps > 10_000, "fuzzed " + steps + " segments");
    }

    @Test
    void randomSegmentsAgainstAListenerNeverThrow() {
        java.util.EnumSet<TcpState> seen = java.util.EnumSet.noneOf(TcpState.class);
        for (long seed = 100; seed < 300; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            Script s = Script.server(new TcpConfig().timeWaitMicros(1_000_000));
            long now = 0;
            List<Segment> sink = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                now += rnd.nextInt(50_000);
                Segment seg = randomSegment(rnd);
                if (i == 0 || rnd.nextInt(20) == 0) {
                    seg = Script.seg(SYN, PEER_ISS, 0, 0, new TcpOption.SackPermitted(), new TcpOption.Timestamps(5, 0));
                } else if (rnd.nextInt(5) == 0) {
                    seg = Script.seg(ACK | (rnd.nextBoolean() ? TcpHeader.FIN : 0), P, A, rnd.nextInt(100));
                }
                try {
                    s.conn.input(now, seg);
                    s.conn.poll(now, sink::add);
                } catch (RuntimeException e) {
                    throw new AssertionError("seed " + seed + " step " + i + " segment " + seg + " state " + s.conn, e);
                }
                seen.add(s.conn.state());
                check(s.conn, seed, i);
            }
        }
        assertTrue(seen.containsAll(java.util.EnumSet.of(TcpState.SYN_RECEIVED, TcpState.ESTABLISHED,
                TcpState.CLOSE_WAIT)), "states reached: " + seen);
    }

    static void check(TcpConnection c, long seed, int i) {
        String where = "seed " + seed + " step " + i + ": " + c;
        assertTrue(c.unacknowledged() >= 0, where);
        assertTrue(c.pipe() >= 0, "pipe " + where);
        assertTrue(c.cwnd() > 0, "cwnd " + where);
        assertTrue(c.readable() >= 0, where);
        assertTrue(c.sendBufferSpace() >= 0, where);
    }

    static Segment randomSegment(SplittableRandom rnd) {
        int flags = rnd.nextInt(10) < 8 ? ACK : 0;
        for (int f : new int[]{TcpHeader.FIN, TcpHeader.SYN, TcpHeader.RST, TcpHeader.PSH, TcpHeader.URG}) {
            if (rnd.nextInt(12) == 0) {
                flags |= f;
            }
        }
        int seq = rnd.nextInt(10) == 0 ? rnd.nextInt() : P + rnd.nextInt(-70_000, 300_000);
        int ack = rnd.nextInt(10) == 0 ? rnd.nextInt() : A + rnd.nextInt(-2_000, 20_000);
        int window = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(65536);
        int len = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(1500);
        List<TcpOption> opts = new ArrayList<>();
        int n = rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            switch (rnd.nextInt(9)) {
                case 0 -> opts.add(new TcpOption.Timestamps(777 + rnd.nextInt(-100, 100_000), rnd.nextInt()));
                case 1 -> {
                    List<TcpOption.SackBlock> blocks = new ArrayList<>();
                    for (int b = 0; b < 1 + rnd.nextInt(4); b++) {
                        int l = A + rnd.nextInt(-5_000, 30_000);
                        blocks.add(new TcpOption.SackBlock(l, l + rnd.nextInt(-100, 10_000)));
                    }
                    opts.add(new TcpOption.Sack(blocks));
                }
                case 2 -> opts.add(new TcpOption.Mss(rnd.nextInt(65536)));
                case 3 -> opts.add(new TcpOption.WindowScale(rnd.nextInt(256)));
                case 4 -> opts.add(new TcpOption.Malformed(8, "short", new byte[]{8, 3, 1}));
                case 5 -> opts.add(new TcpOption.Unknown(30, new byte[]{0x20, 1}));
                case 6 -> opts.add(new TcpOption.SackPermitted());
                case 7 -> opts.add(new TcpOption.Nop());
                default -> opts.add(new TcpOption.Eol());
            }
        }
        TcpHeader h = new TcpHeader(Script.PEER_PORT, Script.LOCAL_PORT, seq, ack, flags, window, 0, 0, opts);
        return new Segment(h, new byte[len], 0, len);
    }
}
