package io.jmptcp.core.wire;

import io.jmptcp.core.wire.MptcpOption.AddAddr;
import io.jmptcp.core.wire.MptcpOption.CapableForm;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.MptcpOption.MpFail;
import io.jmptcp.core.wire.MptcpOption.MpFastclose;
import io.jmptcp.core.wire.MptcpOption.MpJoinAck;
import io.jmptcp.core.wire.MptcpOption.MpJoinSyn;
import io.jmptcp.core.wire.MptcpOption.MpJoinSynAck;
import io.jmptcp.core.wire.MptcpOption.MpPrio;
import io.jmptcp.core.wire.MptcpOption.MpTcpRst;
import io.jmptcp.core.wire.MptcpOption.MptcpMalformed;
import io.jmptcp.core.wire.MptcpOption.MptcpUnknown;
import io.jmptcp.core.wire.MptcpOption.RemoveAddr;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses and emits the MPTCP option, TCP kind 30 (RFC 8684 section 3, registries in section 7).
 *
 * <p>Every option starts {@code | 30 | length | subtype(4 bits) | 4 bits | ...}. Forms are told
 * apart by length exactly as Linux {@code mptcp_parse_option} does (net/mptcp/options.c), with the
 * lengths of Linux {@code TCPOLEN_MPTCP_*}. A known subtype with a length that fits none of its
 * forms, or an unsupported MP_CAPABLE version, parses to {@link MptcpMalformed} with a reason; an
 * unknown subtype to {@link MptcpUnknown}. Parsing never throws for any bytes.
 *
 * <p>What this codec does not judge: flag combinations (for example MP_CAPABLE flags other than
 * H, or a DSS checksum that was not negotiated) are reported as they are on the wire; whether they
 * are acceptable depends on the connection and is the engine's decision.
 */
public final class MptcpOptionCodec {
    /** Linux TCPOLEN_MPTCP_MPJ_SYN, _SYNACK, _ACK. */
    public static final int MPJ_SYN_LENGTH = 12;
    public static final int MPJ_SYNACK_LENGTH = 16;
    public static final int MPJ_ACK_LENGTH = 24;
    /** Linux TCPOLEN_MPTCP_DSS_BASE and the longest DSS (8-byte DATA_ACK, 8-byte DSN, checksum). */
    public static final int DSS_BASE_LENGTH = 4;
    public static final int DSS_MAX_LENGTH = 28;
    /** Linux MPTCP_RM_IDS_MAX: at most 8 ids in one REMOVE_ADDR. */
    public static final int RM_IDS_MAX = 8;
    public static final int MP_PRIO_LENGTH = 3;
    public static final int MP_FAIL_LENGTH = 12;
    public static final int MP_FASTCLOSE_LENGTH = 12;
    public static final int MP_TCPRST_LENGTH = 4;

    private MptcpOptionCodec() {
    }

    /**
     * Parses one MPTCP option whose kind byte is at {@code offset} and which is {@code length}
     * bytes long (the value of its length byte, already checked by the caller to lie within the
     * buffer's limit). An option of fewer than 3 bytes has no subtype and parses to
     * {@link MptcpMalformed} with subtype -1.
     */
    public static MptcpOption parse(ByteBuffer buf, int offset, int length) {
        Bytes.checkRange(buf, offset, length);
        if (length < 3) {
            return malformed(-1, "MPTCP option of length " + length + " has no subtype", buf, offset,
                    length);
        }
        int b2 = Bytes.u8(buf, offset + 2);
        int subtype = b2 >>> 4;
        int nibble = b2 & 0x0f;
        return switch (subtype) {
            case MptcpOption.MP_CAPABLE -> parseCapable(buf, offset, length, nibble);
            case MptcpOption.MP_JOIN -> parseJoin(buf, offset, length, nibble);
            case MptcpOption.DSS -> parseDss(buf, offset, length);
            case MptcpOption.ADD_ADDR -> parseAddAddr(buf, offset, length, nibble);
            case MptcpOption.REMOVE_ADDR -> parseRemoveAddr(buf, offset, length);
            case MptcpOption.MP_PRIO -> length == MP_PRIO_LENGTH
                    ? new MpPrio((nibble & 0x1) != 0)
                    : badLength(subtype, "MP_PRIO", buf, offset, length);
            case MptcpOption.MP_FAIL -> length == MP_FAIL_LENGTH
                    ? new MpFail(Bytes.i64(buf, offset + 4))
                    : badLength(subtype, "MP_FAIL", buf, offset, length);
            case MptcpOption.MP_FASTCLOSE -> length == MP_FASTCLOSE_LENGTH
                    ? new MpFastclose(Bytes.i64(buf, offset + 4))
                    : badLength(subtype, "MP_FASTCLOSE", buf, offset, length);
            case MptcpOption.MP_TCPRST -> length == MP_TCPRST_LENGTH
                    ? new MpTcpRst(nibble, Bytes.u8(buf, offset + 3))
                    : badLength(subtype, "MP_TCPRST", buf, offset, length);
            default -> new MptcpUnknown(subtype, Bytes.copy(buf, offset, length));
        };
    }

    /** RFC 8684 section 3.1: the form follows from the length; version in the low nibble. */
    private static MptcpOption parseCapable(ByteBuffer buf, int off, int len, int version) {
        CapableForm form = null;
        for (CapableForm f : CapableForm.values()) {
            if (f.length == len) {
                form = f;
            }
        }
        if (form == null) {
            return badLength(MptcpOption.MP_CAPABLE, "MP_CAPABLE", buf, off, len);
        }
        // Linux accepts any version >= 1 on the SYN ("gentle vs future versions"), exactly 1 elsewhere.
        boolean versionOk = form == CapableForm.SYN ? version >= 1 : version == 1;
        if (!versionOk) {
            return malformed(MptcpOption.MP_CAPABLE, "unsupported version " + version, buf, off, len);
        }
        int flags = Bytes.u8(buf, off + 3);
        long senderKey = len >= 12 ? Bytes.i64(buf, off + 4) : 0;
        long receiverKey = len >= 20 ? Bytes.i64(buf, off + 12) : 0;
        int dll = len >= 22 ? Bytes.u16(buf, off + 20) : 0;
        int csum = len >= 24 ? Bytes.u16(buf, off + 22) : 0;
        return new MpCapable(form, version, flags, senderKey, receiverKey, dll, csum);
    }

    /** RFC 8684 section 3.2: SYN 12, SYN/ACK 16, ACK 24; B (backup) is bit 0 of the nibble. */
    private static MptcpOption parseJoin(ByteBuffer buf, int off, int len, int nibble) {
        boolean backup = (nibble & 0x1) != 0;
        return switch (len) {
            case MPJ_SYN_LENGTH -> new MpJoinSyn(backup, Bytes.u8(buf, off + 3),
                    Bytes.i32(buf, off + 4), Bytes.i32(buf, off + 8));
            case MPJ_SYNACK_LENGTH -> new MpJoinSynAck(backup, Bytes.u8(buf, off + 3),
                    Bytes.i64(buf, off + 4), Bytes.i32(buf, off + 12));
            case MPJ_ACK_LENGTH -> new MpJoinAck(Bytes.copy(buf, off + 4, 20));
            default -> badLength(MptcpOption.MP_JOIN, "MP_JOIN", buf, off, len);
        };
    }

    /**
     * RFC 8684 section 3.3: the flags give the expected length; the option may be 2 bytes longer,
     * which means a checksum is present (Linux accepts both and checks against negotiation later).
     * The checksum follows the mapping; with no mapping the 2 extra bytes are still reported as
     * {@code checksum} so that the option is kept byte for byte (Linux ignores them).
     */
    private static MptcpOption parseDss(ByteBuffer buf, int off, int len) {
        if (len < DSS_BASE_LENGTH) {
            return badLength(MptcpOption.DSS, "DSS", buf, off, len);
        }
        int flags = Bytes.u8(buf, off + 3);
        boolean hasAck = (flags & Dss.FLAG_A) != 0;
        boolean ack64 = (flags & Dss.FLAG_a) != 0;
        boolean hasMap = (flags & Dss.FLAG_M) != 0;
        boolean dsn64 = (flags & Dss.FLAG_m) != 0;
        boolean fin = (flags & Dss.FLAG_F) != 0;
        int expected = DSS_BASE_LENGTH + (hasAck ? (ack64 ? 8 : 4) : 0)
                + (hasMap ? (dsn64 ? 14 : 10) : 0);
        boolean hasCsum;
        if (len == expected) {
            hasCsum = false;
        } else if (len == expected + 2) {
            hasCsum = true;
        } else {
            return malformed(MptcpOption.DSS, "DSS length " + len + " does not match flags 0x"
                    + Integer.toHexString(flags) + " (expected " + expected + " or "
                    + (expected + 2) + ")", buf, off, len);
        }
        int p = off + 4;
        long dataAck = 0;
        if (hasAck) {
            dataAck = ack64 ? Bytes.i64(buf, p) : Integer.toUnsignedLong(Bytes.i32(buf, p));
            p += ack64 ? 8 : 4;
        }
        long dsn = 0;
        int ssn = 0;
        int dll = 0;
        if (hasMap) {
            dsn = dsn64 ? Bytes.i64(buf, p) : Integer.toUnsignedLong(Bytes.i32(buf, p));
            p += dsn64 ? 8 : 4;
            ssn = Bytes.i32(buf, p);
            dll = Bytes.u16(buf, p + 4);
            p += 6;
        }
        int csum = hasCsum ? Bytes.u16(buf, p) : 0;
        return new Dss(hasAck, ack64, dataAck, hasMap, dsn64, dsn, ssn, dll, fin, hasCsum, csum);
    }

    /**
     * RFC 8684 section 3.4.1 (v1): E is bit 0 of the nibble; the family follows from the length:
     * E=0 (with the 8-byte truncated HMAC, last) 16/18 IPv4, 28/30 IPv6; E=1 8/10, 20/22; the
     * longer of each pair carries a port.
     */
    private static MptcpOption parseAddAddr(ByteBuffer buf, int off, int len, int nibble) {
        boolean echo = (nibble & 0x1) != 0;
        int base = len - (echo ? 0 : 8) - 4; // address + optional port
        int addrLen;
        boolean port;
        switch (base) {
            case 4 -> { addrLen = 4; port = false; }
            case 6 -> { addrLen = 4; port = true; }
            case 16 -> { addrLen = 16; port = false; }
            case 18 -> { addrLen = 16; port = true; }
            default -> {
                return malformed(MptcpOption.ADD_ADDR, "bad length " + len + " for ADD_ADDR with E="
                        + (echo ? 1 : 0), buf, off, len);
            }
        }
        int id = Bytes.u8(buf, off + 3);
        InetAddress addr = Bytes.address(Bytes.copy(buf, off + 4, addrLen));
        int p = off + 4 + addrLen;
        int portValue = -1;
        if (port) {
            portValue = Bytes.u16(buf, p);
            p += 2;
        }
        long hmac = echo ? 0 : Bytes.i64(buf, p);
        return new AddAddr(echo, id, addr, portValue, hmac);
    }

    /** RFC 8684 section 3.4.2: 1..8 address ids (Linux MPTCP_RM_IDS_MAX). */
    private static MptcpOption parseRemoveAddr(ByteBuffer buf, int off, int len) {
        int n = len - 3;
        if (n < 1 || n > RM_IDS_MAX) {
            return badLength(MptcpOption.REMOVE_ADDR, "REMOVE_ADDR", buf, off, len);
        }
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(Bytes.u8(buf, off + 3 + i));
        }
        return new RemoveAddr(ids);
    }

    private static MptcpMalformed badLength(int subtype, String name, ByteBuffer buf, int off, int len) {
        return malformed(subtype, "bad length " + len + " for " + name, buf, off, len);
    }

    private static MptcpMalformed malformed(int subtype, String reason, ByteBuffer buf, int off, int len) {
        return new MptcpMalformed(subtype, reason, Bytes.copy(buf, off, len));
    }

    // ---- emit ------------------------------------------------------------------------------

    /**
     * Writes {@code opt} at the buffer's position, exactly {@code opt.length()} bytes, and advances
     * the position. {@link MptcpUnknown} and {@link MptcpMalformed} are written from their raw
     * bytes. Fields wider than their wire field are truncated to it.
     *
     * @throws java.nio.BufferOverflowException if fewer than {@code opt.length()} bytes remain
     */
    public static void emit(MptcpOption opt, ByteBuffer out) {
        int len = opt.length();
        if (out.remaining() < len) {
            throw new java.nio.BufferOverflowException();
        }
        int p = out.position();
        if (opt instanceof MptcpUnknown u) {
            out.put(p, u.raw());
        } else if (opt instanceof MptcpMalformed m) {
            out.put(p, m.raw());
        } else {
            Bytes.put8(out, p, TcpOption.KIND_MPTCP);
            Bytes.put8(out, p + 1, len);
            Bytes.put8(out, p + 2, (opt.subtype() << 4) | (nibble(opt) & 0x0f));
            body(opt, out, p);
        }
        out.position(p + len);
    }

    /** The low nibble of byte 2: version, backup, echo or MP_TCPRST flags; 0 where reserved. */
    private static int nibble(MptcpOption opt) {
        if (opt instanceof MpCapable c) {
            return c.version();
        } else if (opt instanceof MpJoinSyn j) {
            return j.backup() ? 1 : 0;
        } else if (opt instanceof MpJoinSynAck j) {
            return j.backup() ? 1 : 0;
        } else if (opt instanceof AddAddr a) {
            return a.echo() ? 1 : 0;
        } else if (opt instanceof MpPrio m) {
            return m.backup() ? 1 : 0;
        } else if (opt instanceof MpTcpRst r) {
            return r.flags();
        }
        return 0;
    }

    /** Writes byte 3 onwards (byte 3 is zero where the form reserves it). */
    private static void body(MptcpOption opt, ByteBuffer out, int p) {
        if (opt instanceof MpCapable c) {
            Bytes.put8(out, p + 3, c.flags());
            CapableForm f = c.form();
            if (f != CapableForm.SYN) {
                Bytes.put64(out, p + 4, c.senderKey());
            }
            if (f.length >= CapableForm.ACK.length) {
                Bytes.put64(out, p + 12, c.receiverKey());
            }
            if (f.length >= CapableForm.ACK_DATA.length) {
                Bytes.put16(out, p + 20, c.dataLevelLength());
            }
            if (f == CapableForm.ACK_DATA_CSUM) {
                Bytes.put16(out, p + 22, c.checksum());
            }
        } else if (opt instanceof MpJoinSyn j) {
            Bytes.put8(out, p + 3, j.addressId());
            Bytes.put32(out, p + 4, j.token());
            Bytes.put32(out, p + 8, j.nonce());
        } else if (opt instanceof MpJoinSynAck j) {
            Bytes.put8(out, p + 3, j.addressId());
            Bytes.put64(out, p + 4, j.truncatedHmac());
            Bytes.put32(out, p + 12, j.nonce());
        } else if (opt instanceof MpJoinAck j) {
            Bytes.put8(out, p + 3, 0);
            out.put(p + 4, j.hmac());
        } else if (opt instanceof Dss d) {
            emitDss(d, out, p);
        } else if (opt instanceof AddAddr a) {
            Bytes.put8(out, p + 3, a.addressId());
            byte[] addr = a.address().getAddress();
            out.put(p + 4, addr);
            int q = p + 4 + addr.length;
            if (a.hasPort()) {
                Bytes.put16(out, q, a.port());
                q += 2;
            }
            if (!a.echo()) {
                Bytes.put64(out, q, a.truncatedHmac());
            }
        } else if (opt instanceof RemoveAddr r) {
            List<Integer> ids = r.addressIds();
            for (int i = 0; i < ids.size(); i++) {
                Bytes.put8(out, p + 3 + i, ids.get(i));
            }
        } else if (opt instanceof MpFail f) {
            Bytes.put8(out, p + 3, 0);
            Bytes.put64(out, p + 4, f.dsn());
        } else if (opt instanceof MpFastclose f) {
            Bytes.put8(out, p + 3, 0);
            Bytes.put64(out, p + 4, f.receiverKey());
        } else if (opt instanceof MpTcpRst r) {
            Bytes.put8(out, p + 3, r.reason());
        }
        // MpPrio has length 3: nothing after the subtype byte.
    }

    /** RFC 8684 section 3.3: flags, then DATA_ACK, DSN, SSN, DLL, checksum as present. */
    private static void emitDss(Dss d, ByteBuffer out, int p) {
        Bytes.put8(out, p + 3, d.flags());
        int q = p + 4;
        if (d.hasDataAck()) {
            if (d.dataAck64()) {
                Bytes.put64(out, q, d.dataAck());
                q += 8;
            } else {
                Bytes.put32(out, q, (int) d.dataAck());
                q += 4;
            }
        }
        if (d.hasMapping()) {
            if (d.dsn64()) {
                Bytes.put64(out, q, d.dsn());
                q += 8;
            } else {
                Bytes.put32(out, q, (int) d.dsn());
                q += 4;
            }
            Bytes.put32(out, q, d.ssn());
            Bytes.put16(out, q + 4, d.dataLevelLength());
            q += 6;
        }
        if (d.hasChecksum()) {
            Bytes.put16(out, q, d.checksum());
        }
    }
}
