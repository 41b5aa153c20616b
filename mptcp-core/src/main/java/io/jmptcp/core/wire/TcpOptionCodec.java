package io.jmptcp.core.wire;

import io.jmptcp.core.wire.TcpOption.Eol;
import io.jmptcp.core.wire.TcpOption.Malformed;
import io.jmptcp.core.wire.TcpOption.Mss;
import io.jmptcp.core.wire.TcpOption.Nop;
import io.jmptcp.core.wire.TcpOption.Sack;
import io.jmptcp.core.wire.TcpOption.SackBlock;
import io.jmptcp.core.wire.TcpOption.SackPermitted;
import io.jmptcp.core.wire.TcpOption.Timestamps;
import io.jmptcp.core.wire.TcpOption.Unknown;
import io.jmptcp.core.wire.TcpOption.WindowScale;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses and emits the TCP option area (RFC 9293 section 3.2; MSS RFC 9293 3.7.1, window scale
 * and timestamps RFC 7323, SACK RFC 2018, MPTCP RFC 8684 via {@link MptcpOptionCodec}).
 *
 * <p>The walk follows Linux {@code tcp_parse_options} and {@code mptcp_get_options}: EOL ends the
 * list, NOP is one byte, every other option has a length byte that must be at least 2 and must
 * not run past the area, or the walk stops with a {@link Malformed} holding the remaining bytes.
 * A known kind with a length its format does not allow becomes {@link Malformed} and the walk goes
 * on (its length byte is still trustworthy). Unknown kinds are kept as {@link Unknown}. EOL and
 * NOP are kept in the result, in order, so that a decoder can print the list as it was sent.
 */
public final class TcpOptionCodec {
    /** The instances used for every parsed EOL and NOP (records without state). */
    public static final Eol EOL = new Eol();
    public static final Nop NOP = new Nop();

    private static final int MSS_LENGTH = 4;
    private static final int WSCALE_LENGTH = 3;
    private static final int SACK_PERMITTED_LENGTH = 2;
    private static final int TIMESTAMPS_LENGTH = 10;

    private TcpOptionCodec() {
    }

    /**
     * Parses the option area of {@code length} bytes at absolute index {@code offset} (the buffer's
     * position is not used or moved). Never throws for any content; bytes outside the range are
     * never read.
     *
     * @throws IndexOutOfBoundsException if the range itself lies outside the buffer (API misuse)
     */
    public static List<TcpOption> parse(ByteBuffer buf, int offset, int length) {
        Bytes.checkRange(buf, offset, length);
        List<TcpOption> out = new ArrayList<>(8);
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int kind = Bytes.u8(buf, i);
            if (kind == TcpOption.KIND_EOL) {
                out.add(EOL);
                break;
            }
            if (kind == TcpOption.KIND_NOP) {
                out.add(NOP);
                i++;
                continue;
            }
            if (i + 1 >= end) {
                out.add(new Malformed(kind, "no length byte", Bytes.copy(buf, i, end - i)));
                break;
            }
            int len = Bytes.u8(buf, i + 1);
            if (len < 2) {
                out.add(new Malformed(kind, "length " + len + " < 2", Bytes.copy(buf, i, end - i)));
                break;
            }
            if (len > end - i) {
                out.add(new Malformed(kind, "length " + len + " runs past the option area ("
                        + (end - i) + " bytes left)", Bytes.copy(buf, i, end - i)));
                break;
            }
            out.add(parseOne(buf, i, kind, len));
            i += len;
        }
        return out;
    }

    /** One option of a kind other than EOL/NOP whose {@code len} bytes lie within the area. */
    private static TcpOption parseOne(ByteBuffer buf, int i, int kind, int len) {
        switch (kind) {
            case TcpOption.KIND_MSS:
                return len == MSS_LENGTH ? new Mss(Bytes.u16(buf, i + 2))
                        : badLength(kind, "MSS", buf, i, len);
            case TcpOption.KIND_WSCALE:
                return len == WSCALE_LENGTH ? new WindowScale(Bytes.u8(buf, i + 2))
                        : badLength(kind, "window scale", buf, i, len);
            case TcpOption.KIND_SACK_PERMITTED:
                return len == SACK_PERMITTED_LENGTH ? new SackPermitted()
                        : badLength(kind, "SACK permitted", buf, i, len);
            case TcpOption.KIND_SACK: {
                // RFC 2018 section 3: 2 + 8n bytes, n >= 1 (the 40-byte area bounds n to 4).
                if (len < 10 || (len - 2) % 8 != 0) {
                    return badLength(kind, "SACK", buf, i, len);
                }
                int n = (len - 2) / 8;
                List<SackBlock> blocks = new ArrayList<>(n);
                for (int b = 0; b < n; b++) {
                    int p = i + 2 + 8 * b;
                    blocks.add(new SackBlock(Bytes.i32(buf, p), Bytes.i32(buf, p + 4)));
                }
                return new Sack(blocks);
            }
            case TcpOption.KIND_TIMESTAMPS:
                return len == TIMESTAMPS_LENGTH
                        ? new Timestamps(Bytes.i32(buf, i + 2), Bytes.i32(buf, i + 6))
                        : badLength(kind, "timestamps", buf, i, len);
            case TcpOption.KIND_MPTCP:
                return MptcpOptionCodec.parse(buf, i, len);
            default:
                return new Unknown(kind, Bytes.copy(buf, i + 2, len - 2));
        }
    }

    private static Malformed badLength(int kind, String name, ByteBuffer buf, int i, int len) {
        return new Malformed(kind, "bad length " + len + " for " + name, Bytes.copy(buf, i, len));
    }

    // ---- emit ------------------------------------------------------------------------------

    /**
     * Writes {@code opt} at the buffer's position, exactly {@code opt.length()} bytes, and advances
     * the position. {@link Malformed} is written from its raw bytes.
     *
     * @throws BufferOverflowException if fewer than {@code opt.length()} bytes remain
     * @throws IllegalArgumentException if an {@link Unknown} has more than 253 data bytes
     */
    public static void emit(TcpOption opt, ByteBuffer out) {
        if (opt instanceof MptcpOption m) {
            MptcpOptionCodec.emit(m, out);
            return;
        }
        int len = opt.length();
        if (out.remaining() < len) {
            throw new BufferOverflowException();
        }
        int p = out.position();
        if (opt instanceof Malformed m) {
            out.put(p, m.raw());
        } else {
            if (len > 255) {
                throw new IllegalArgumentException("option longer than 255 bytes: " + opt);
            }
            Bytes.put8(out, p, opt.kind());
            if (len > 1) {
                Bytes.put8(out, p + 1, len);
            }
            if (opt instanceof Mss m) {
                Bytes.put16(out, p + 2, m.mss());
            } else if (opt instanceof WindowScale w) {
                Bytes.put8(out, p + 2, w.shift());
            } else if (opt instanceof Sack s) {
                List<SackBlock> blocks = s.blocks();
                for (int b = 0; b < blocks.size(); b++) {
                    Bytes.put32(out, p + 2 + 8 * b, blocks.get(b).left());
                    Bytes.put32(out, p + 6 + 8 * b, blocks.get(b).right());
                }
            } else if (opt instanceof Timestamps t) {
                Bytes.put32(out, p + 2, t.tsVal());
                Bytes.put32(out, p + 6, t.tsEcr());
            } else if (opt instanceof Unknown u) {
                out.put(p + 2, u.data());
            }
            // Eol, Nop (1 byte) and SackPermitted (2 bytes) have no body.
        }
        out.position(p + len);
    }

    /**
     * Writes the options in order, then NOPs up to the next multiple of 4 bytes, and returns the
     * number of bytes written ({@link #paddedLength}). Padding with NOP (kind 1) rather than EOL
     * keeps every byte a parseable option and is what Linux itself does (for example the two NOPs
     * after a 22-byte MP_CAPABLE or a 26-byte DSS); a parse of the result yields the list followed
     * by 0 to 3 {@link Nop}s.
     *
     * @throws BufferOverflowException if the padded options do not fit in the remaining space
     */
    public static int emitAll(List<? extends TcpOption> options, ByteBuffer out) {
        int total = paddedLength(options);
        if (out.remaining() < total) {
            throw new BufferOverflowException();
        }
        int start = out.position();
        for (int i = 0; i < options.size(); i++) {
            emit(options.get(i), out);
        }
        while (out.position() - start < total) {
            out.put((byte) TcpOption.KIND_NOP);
        }
        return total;
    }

    /**
     * The first option of {@code type} in {@code options} (for example {@code MptcpOption.Dss.class}),
     * or null. Does not allocate.
     */
    public static <T extends TcpOption> T first(List<? extends TcpOption> options, Class<T> type) {
        for (int i = 0; i < options.size(); i++) {
            TcpOption o = options.get(i);
            if (type.isInstance(o)) {
                return type.cast(o);
            }
        }
        return null;
    }

    /** Sum of the options' lengths, rounded up to a multiple of 4 (RFC 9293: data offset in words). */
    public static int paddedLength(List<? extends TcpOption> options) {
        int sum = 0;
        for (int i = 0; i < options.size(); i++) {
            sum += options.get(i).length();
        }
        return (sum + 3) & ~3;
    }
}
