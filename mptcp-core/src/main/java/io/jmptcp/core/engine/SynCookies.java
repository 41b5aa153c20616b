package io.jmptcp.core.engine;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * SYN cookies (RFC 4987 section 3.6), used once a listener's half-open bound is reached: the
 * SYN,ACK's initial sequence number carries what the stack must remember of the SYN, and nothing
 * is kept until the peer's ACK brings it back. The 32 bits are
 * {@code hash:21 | tick:3 | sack:1 | wscale:4 | mss:3}: the peer's MSS rounded down to one of eight
 * values, its window shift (15: none), whether it offered SACK, the 64-second tick the cookie was
 * made in (it is good for that tick and the next, as Linux's), and 21 bits of SHA-256 over a
 * secret, the 4-tuple, the peer's ISN, the full tick and the option bits. A forged ACK hits one of
 * 2^21 values per tuple and tick.
 *
 * <p>Timestamps need no bit: the ACK carries them when the SYN offered them (RFC 7323 section 3.2).
 * MPTCP needs none either: in version 1 the ACK carries both keys and the initiator's flags
 * (RFC 8684 section 3.1). The local key of a cookie's connection is derived from the cookie, so an
 * ACK must echo the key the SYN,ACK sent: for MPTCP the check has 64 more bits.
 *
 * <p>What a cookie loses, as Linux's: the peer's MSS is rounded down, and the SYN,ACK is not
 * retransmitted (the peer retransmits its SYN).
 */
public final class SynCookies {
    /** Microseconds per tick of the cookie clock (Linux counts minutes of 64 s). */
    public static final long TICK_MICROS = 64_000_000L;
    /** A cookie is good in its own tick and the next. */
    public static final long LIFETIME_MICROS = 2 * TICK_MICROS;
    /** The peer MSS values a cookie can carry, ascending; the first is also taken with no MSS option. */
    static final int[] MSS = {536, 1200, 1360, 1400, 1440, 1460, 4312, 8960};
    private static final int NO_WSCALE = 15;

    private final byte[] secret = new byte[32];

    /** @param random the stack's random 64-bit values, read four times for the secret */
    public SynCookies(LongSupplier random) {
        ByteBuffer b = ByteBuffer.wrap(secret);
        for (int i = 0; i < 4; i++) {
            b.putLong(random.getAsLong());
        }
    }

    /** What the cookie remembered of the SYN; {@code wscale} is -1 when it had no window-scale option. */
    public record Syn(int mss, int wscale, boolean sack) {
    }

    /** The SYN,ACK's ISN for {@code syn} arriving on {@code t} at {@code nowMicros}. */
    public int cookie(FourTuple t, Segment syn, long nowMicros) {
        TcpHeader h = syn.header();
        int peerMss = MSS[0];
        int ws = NO_WSCALE;
        boolean sack = false;
        for (TcpOption o : h.options()) {
            if (o instanceof TcpOption.Mss m) {
                peerMss = m.mss();
            } else if (o instanceof TcpOption.WindowScale w) {
                ws = Math.min(w.shift(), 14); // RFC 7323 2.3: a larger shift is taken as 14
            } else if (o instanceof TcpOption.SackPermitted) {
                sack = true;
            }
        }
        int mssIdx = 0;
        for (int i = MSS.length - 1; i > 0; i--) {
            if (MSS[i] <= peerMss) {
                mssIdx = i;
                break;
            }
        }
        int opts = mssIdx | ws << 3 | (sack ? 1 << 7 : 0);
        long tick = Math.floorDiv(nowMicros, TICK_MICROS);
        return hash(t, h.seq(), tick, opts) << 11 | (int) (tick & 7) << 8 | opts;
    }

    /**
     * Checks the cookie an ACK brought back: {@code cookie} is its acknowledgment number minus one,
     * {@code peerIsn} its sequence number minus one. Null if it is not one of ours or too old.
     */
    public Syn check(FourTuple t, int peerIsn, int cookie, long nowMicros) {
        int opts = cookie & 0xFF;
        int tick3 = cookie >>> 8 & 7;
        long now = Math.floorDiv(nowMicros, TICK_MICROS);
        for (long tick = now; tick >= now - 1; tick--) {
            if ((tick & 7) == tick3 && hash(t, peerIsn, tick, opts) == cookie >>> 11) {
                int ws = opts >>> 3 & 0xF;
                return new Syn(MSS[opts & 7], ws == NO_WSCALE ? -1 : ws, (opts & 0x80) != 0);
            }
        }
        return null;
    }

    /** The MPTCP local key of the connection a cookie makes: never 0. */
    public long key(FourTuple t, int cookie) {
        MessageDigest md = digest(t, 'K');
        md.update(ByteBuffer.allocate(4).putInt(cookie).array());
        long k = ByteBuffer.wrap(md.digest()).getLong();
        return k == 0 ? 1 : k;
    }

    /**
     * The SYN the cookie stands for, rebuilt from the ACK that brought it back: sequence number,
     * the options the cookie kept, timestamps if the ACK has them, and MP_CAPABLE (version 1, the
     * ACK's checksum flag) if the ACK has it.
     */
    public static Segment rebuildSyn(TcpHeader ack, Syn syn) {
        List<TcpOption> o = new ArrayList<>(6);
        o.add(new TcpOption.Mss(syn.mss()));
        if (syn.sack()) {
            o.add(new TcpOption.SackPermitted());
        }
        for (TcpOption x : ack.options()) {
            if (x instanceof TcpOption.Timestamps ts) {
                o.add(new TcpOption.Timestamps(ts.tsVal(), 0));
            }
        }
        if (syn.wscale() >= 0) {
            o.add(new TcpOption.WindowScale(syn.wscale()));
        }
        MptcpOption.MpCapable cap = capable(ack);
        if (cap != null) {
            o.add(new MptcpOption.MpCapable(MptcpOption.CapableForm.SYN, cap.version(),
                    cap.flags() & (MptcpOption.CAP_A_CHECKSUM | MptcpOption.CAP_H_HMAC_SHA256), 0, 0, 0, 0));
        }
        TcpHeader h = new TcpHeader(ack.srcPort(), ack.dstPort(), ack.seq() - 1, 0, TcpHeader.SYN,
                Math.min(ack.window(), 0xFFFF), 0, 0, o);
        return new Segment(h, new byte[0], 0, 0);
    }

    /** The ACK's MP_CAPABLE in one of its third-ACK forms, or null. */
    public static MptcpOption.MpCapable capable(TcpHeader h) {
        for (TcpOption x : h.options()) {
            if (x instanceof MptcpOption.MpCapable c && c.form() != MptcpOption.CapableForm.SYN
                    && c.form() != MptcpOption.CapableForm.SYN_ACK) {
                return c;
            }
        }
        return null;
    }

    private int hash(FourTuple t, int peerIsn, long tick, int opts) {
        MessageDigest md = digest(t, 'C');
        md.update(ByteBuffer.allocate(13).putInt(peerIsn).putLong(tick).put((byte) opts).array());
        return ByteBuffer.wrap(md.digest()).getInt() >>> 11;
    }

    private MessageDigest digest(FourTuple t, char use) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        md.update(secret);
        md.update((byte) use);
        t.updateDigest(md);
        return md;
    }
}
