package io.jmptcp.core.tcp;

import io.jmptcp.core.mib.Mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.jmptcp.core.sim.TcpPair;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Segment-level scripts on virtual time, after smoltcp's socket tests: {@link #send} injects a
 * segment at time t, {@link #expect} asserts exactly which segments the engine emitted at time t'
 * and that it emitted nothing before. The engine under test talks to a peer we play by hand; our
 * ISS is {@link #ISS}, the peer's is {@link #PEER_ISS}.
 */
final class Script {
    static final int ISS = 1000;
    static final int PEER_ISS = 5000;
    static final int LOCAL_PORT = 40000;
    static final int PEER_PORT = 80;

    record Out(long time, Segment segment) {
        @Override
        public String toString() {
            return "t=" + time + " " + segment;
        }
    }

    /** An expected segment: flags, seq, ack, payload length, optional extra check. */
    record Exp(int flags, int seq, int ack, int len, Predicate<Segment> extra, String what) {
        boolean matches(Segment s) {
            TcpHeader h = s.header();
            return h.flags() == flags && h.seq() == seq && (ack < 0 || h.ack() == ack) && s.length() == len
                    && (extra == null || extra.test(s));
        }

        Exp and(String what, Predicate<Segment> p) {
            return new Exp(flags, seq, ack, len, extra == null ? p : extra.and(p), this.what + " " + what);
        }

        @Override
        public String toString() {
            return "[" + TcpHeader.flagLetters(flags) + " seq=" + Integer.toUnsignedString(seq) + " ack="
                    + (ack < 0 ? "*" : Integer.toUnsignedString(ack)) + " len=" + len + (what.isEmpty() ? "" : " " + what) + "]";
        }
    }

    final TcpConnection conn;
    /** The connection's counters. */
    final Mib mib;
    private final List<Out> out = new ArrayList<>();
    private long now;

    private Script(TcpConnection c, Mib mib) {
        this.conn = c;
        this.mib = mib;
    }

    static TcpConfig plainConfig() {
        return new TcpConfig().timestamps(false).windowScaling(false).sack(false).receiveBuffer(65535)
                .timeWaitMicros(60_000_000L);
    }

    static FourTuple tuple() {
        return new FourTuple(TcpPair.addr(10, 0, 0, 1), LOCAL_PORT, TcpPair.addr(10, 0, 0, 2), PEER_PORT);
    }

    static Script client(TcpConfig cfg) {
        Mib mib = new Mib();
        return new Script(TcpConnection.connect(cfg, tuple(), ISS, 0, mib, 0), mib);
    }

    static Script server(TcpConfig cfg) {
        Mib mib = new Mib();
        return new Script(TcpConnection.listen(cfg, tuple(), ISS, 0, mib), mib);
    }

    /** A client taken through the handshake (SYN at 0, SYN-ACK at 10 ms, ACK at 10 ms). */
    static Script established(TcpConfig cfg) {
        Script s = client(cfg);
        s.expect(0, syn(ISS));
        s.send(10_000, seg(TcpHeader.SYN | TcpHeader.ACK, PEER_ISS, ISS + 1, 0, new TcpOption.Mss(1460)));
        s.expect(10_000, ack(ISS + 1, PEER_ISS + 1));
        assertEquals(TcpState.ESTABLISHED, s.conn.state());
        return s;
    }

    // ---- building peer segments ----

    static Segment seg(int flags, int seq, int ack, int len, TcpOption... opts) {
        return seg(flags, seq, ack, 65535, len, opts);
    }

    static Segment seg(int flags, int seq, int ack, int window, int len, TcpOption... opts) {
        TcpHeader h = new TcpHeader(PEER_PORT, LOCAL_PORT, seq, ack, flags, window, 0, 0, List.of(opts));
        byte[] data = new byte[len];
        for (int i = 0; i < len; i++) {
            data[i] = (byte) (seq + i);
        }
        return new Segment(h, data, 0, len);
    }

    // ---- expectations ----

    static Exp syn(int seq) {
        return new Exp(TcpHeader.SYN, seq, 0, 0, null, "");
    }

    static Exp synAck(int seq, int ack) {
        return new Exp(TcpHeader.SYN | TcpHeader.ACK, seq, ack, 0, null, "");
    }

    static Exp ack(int seq, int ack) {
        return new Exp(TcpHeader.ACK, seq, ack, 0, null, "");
    }

    static Exp data(int seq, int ack, int len) {
        return new Exp(TcpHeader.ACK | TcpHeader.PSH, seq, ack, len, null, "");
    }

    static Exp fin(int seq, int ack) {
        return new Exp(TcpHeader.FIN | TcpHeader.ACK, seq, ack, 0, null, "");
    }

    static Exp rst(int seq) {
        return new Exp(TcpHeader.RST, seq, 0, 0, null, "");
    }

    static Exp rstAck(int seq, int ack) {
        return new Exp(TcpHeader.RST | TcpHeader.ACK, seq, ack, 0, null, "");
    }

    // ---- driving ----

    /** Runs the engine's timers up to {@code t}, collecting what it emits. */
    Script advance(long t) {
        if (t < now) {
            throw new IllegalArgumentException("time goes forward: " + t + " < " + now);
        }
        for (int guard = 0; guard < 10_000; guard++) {
            long at = conn.pollAt();
            if (at > t) {
                break;
            }
            long when = Math.max(at, now);
            now = when;
            conn.poll(when, s -> out.add(new Out(when, s)));
            if (conn.pollAt() <= when) {
                conn.poll(when, s -> out.add(new Out(when, s)));
                if (conn.pollAt() <= when) {
                    fail("engine wants to run again at the same time " + when + ": " + conn);
                }
            }
        }
        now = t;
        return this;
    }

    /** Injects a peer segment at time {@code t} (nothing may have been emitted before it unasserted). */
    Script send(long t, Segment s) {
        advance(t);
        assertNothingPending("before sending at t=" + t);
        conn.input(t, s);
        conn.poll(t, seg -> out.add(new Out(t, seg)));
        return this;
    }

    /** Asserts the engine emitted exactly {@code exps}, all at time {@code t}, and nothing earlier. */
    Script expect(long t, Exp... exps) {
        advance(t);
        List<Out> got = new ArrayList<>(out);
        out.clear();
        boolean ok = got.size() == exps.length;
        for (int i = 0; ok && i < exps.length; i++) {
            ok = got.get(i).time == t && exps[i].matches(got.get(i).segment);
        }
        if (!ok) {
            fail("at t=" + t + " expected " + Arrays.toString(exps) + "\n but got " + got + "\n state " + conn);
        }
        return this;
    }

    /** Asserts that nothing is emitted up to and including {@code t}. */
    Script expectNothingUntil(long t) {
        advance(t);
        assertNothingPending("until t=" + t);
        return this;
    }

    private void assertNothingPending(String when) {
        if (!out.isEmpty()) {
            List<Out> got = new ArrayList<>(out);
            out.clear();
            fail("unexpected segments " + when + ": " + got + "\n state " + conn);
        }
    }

    Script state(TcpState s) {
        assertEquals(s, conn.state(), conn.toString());
        return this;
    }
}
