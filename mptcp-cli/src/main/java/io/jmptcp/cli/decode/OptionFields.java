package io.jmptcp.cli.decode;

import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.MptcpOption.AddAddr;
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
import io.jmptcp.core.wire.TcpOption;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The decoder's vocabulary for options, shared by the JSON and the plain renderer: a short stable
 * name per TCP option, and the named fields of each MPTCP option.
 *
 * <p>Field values are {@link Long} (an unsigned 64-bit integer; 32-bit wire fields are widened
 * without sign), {@link Boolean}, {@link String} (hex strings are lowercase) or a {@link List} of
 * {@link Long}.
 */
public final class OptionFields {
    /** The names used in the {@code options} list, documented in the command's help. */
    public static final String NAMES_HELP = "eol, nop, mss, wscale, sack_perm, sack, timestamps, "
            + "mptcp, unknown-<kind>, malformed-<kind> (a known kind with a bad length, or a "
            + "length byte that runs past the option area; a kind-30 one also appears in mptcp as "
            + "MALFORMED, as does an MPTCP option whose subtype has a bad form)";

    private OptionFields() {
    }

    /** An MPTCP option as the decoder shows it: the subtype name and its fields, in order. */
    public record Mptcp(String subtype, Map<String, Object> fields) {
        public Mptcp {
            fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }
    }

    /** The short name of a TCP option for the {@code options} list. */
    public static String name(TcpOption option) {
        if (option instanceof MptcpOption) {
            return "mptcp";
        } else if (option instanceof TcpOption.Unknown u) {
            return "unknown-" + u.kind();
        } else if (option instanceof TcpOption.Malformed m) {
            return "malformed-" + m.kind();
        }
        return switch (option.kind()) {
            case TcpOption.KIND_EOL -> "eol";
            case TcpOption.KIND_NOP -> "nop";
            case TcpOption.KIND_MSS -> "mss";
            case TcpOption.KIND_WSCALE -> "wscale";
            case TcpOption.KIND_SACK_PERMITTED -> "sack_perm";
            case TcpOption.KIND_SACK -> "sack";
            case TcpOption.KIND_TIMESTAMPS -> "timestamps";
            default -> "unknown-" + option.kind();
        };
    }

    /**
     * The MPTCP view of an option: present for every MPTCP option, and for a kind-30 option the
     * TCP walk could not even delimit (shown as {@code MALFORMED}).
     */
    public static Optional<Mptcp> mptcp(TcpOption option) {
        if (option instanceof MptcpOption m) {
            return Optional.of(mptcp(m));
        }
        if (option instanceof TcpOption.Malformed m && m.kind() == TcpOption.KIND_MPTCP) {
            return Optional.of(new Mptcp("MALFORMED", Map.of("error", m.reason())));
        }
        return Optional.empty();
    }

    /** All MPTCP views of a segment's options, in wire order. */
    public static List<Mptcp> mptcp(List<TcpOption> options) {
        List<Mptcp> out = new ArrayList<>();
        for (TcpOption o : options) {
            mptcp(o).ifPresent(out::add);
        }
        return out;
    }

    static Mptcp mptcp(MptcpOption option) {
        Map<String, Object> f = new LinkedHashMap<>();
        String subtype;
        if (option instanceof MpCapable c) {
            f.put("version", (long) c.version());
            f.put("flags", (long) c.flags());
            if (c.form().length >= MptcpOption.CapableForm.SYN_ACK.length) {
                f.put("sender_key", c.senderKey());
            }
            if (c.form().length >= MptcpOption.CapableForm.ACK.length) {
                f.put("receiver_key", c.receiverKey());
            }
            if (c.form().length >= MptcpOption.CapableForm.ACK_DATA.length) {
                f.put("data_len", (long) c.dataLevelLength());
            }
            if (c.form() == MptcpOption.CapableForm.ACK_DATA_CSUM) {
                f.put("checksum", (long) c.checksum());
            }
            subtype = "MP_CAPABLE";
        } else if (option instanceof MpJoinSyn j) {
            f.put("backup", j.backup());
            f.put("address_id", (long) j.addressId());
            f.put("token", Integer.toUnsignedLong(j.token()));
            f.put("nonce", Integer.toUnsignedLong(j.nonce()));
            subtype = "MP_JOIN";
        } else if (option instanceof MpJoinSynAck j) {
            f.put("backup", j.backup());
            f.put("address_id", (long) j.addressId());
            f.put("hmac", String.format("%016x", j.truncatedHmac()));
            f.put("nonce", Integer.toUnsignedLong(j.nonce()));
            subtype = "MP_JOIN";
        } else if (option instanceof MpJoinAck j) {
            f.put("hmac", HexFormat.of().formatHex(j.hmac()));
            subtype = "MP_JOIN";
        } else if (option instanceof Dss d) {
            f.put("flags", (long) d.flags());
            if (d.hasDataAck()) {
                f.put("data_ack", d.dataAck());
                f.put("data_ack_len", d.dataAck64() ? 8L : 4L);
            }
            if (d.hasMapping()) {
                f.put("dsn", d.dsn());
                f.put("dsn_len", d.dsn64() ? 8L : 4L);
                f.put("ssn", Integer.toUnsignedLong(d.ssn()));
                f.put("data_len", (long) d.dataLevelLength());
            }
            if (d.hasChecksum()) {
                f.put("checksum", (long) d.checksum());
            }
            f.put("data_fin", d.dataFin());
            subtype = "DSS";
        } else if (option instanceof AddAddr a) {
            f.put("echo", a.echo());
            f.put("address_id", (long) a.addressId());
            f.put("address", address(a.address()));
            if (a.hasPort()) {
                f.put("port", (long) a.port());
            }
            if (!a.echo()) {
                f.put("hmac", String.format("%016x", a.truncatedHmac()));
            }
            subtype = "ADD_ADDR";
        } else if (option instanceof RemoveAddr r) {
            f.put("ids", r.addressIds().stream().map(Integer::longValue).toList());
            subtype = "REMOVE_ADDR";
        } else if (option instanceof MpPrio p) {
            f.put("backup", p.backup());
            subtype = "MP_PRIO";
        } else if (option instanceof MpFail m) {
            f.put("dsn", m.dsn());
            subtype = "MP_FAIL";
        } else if (option instanceof MpFastclose m) {
            f.put("receiver_key", m.receiverKey());
            subtype = "MP_FASTCLOSE";
        } else if (option instanceof MpTcpRst r) {
            f.put("flags", (long) r.flags());
            f.put("reason", (long) r.reason());
            subtype = "MP_TCPRST";
        } else if (option instanceof MptcpUnknown u) {
            f.put("error", "unknown subtype " + u.subtype());
            subtype = "UNKNOWN";
        } else if (option instanceof MptcpMalformed m) {
            f.put("error", m.reason());
            subtype = "MALFORMED";
        } else {
            throw new IllegalStateException("unhandled MPTCP option " + option);
        }
        return new Mptcp(subtype, f);
    }

    /**
     * An address as text: dotted IPv4, or IPv6 in the RFC 5952 short form (lowercase, the longest
     * run of two or more zero groups as "::", the first such run on a tie, IPv4-mapped addresses
     * as ::ffff:a.b.c.d), as tshark prints it.
     */
    public static String address(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        boolean mapped = true;
        for (int i = 0; i < 12; i++) {
            mapped &= b[i] == (i < 10 ? 0 : (byte) 0xFF);
        }
        if (mapped) {
            // RFC 5952 section 5: an IPv4-mapped address keeps the dotted IPv4 part
            return "::ffff:" + (b[12] & 0xFF) + "." + (b[13] & 0xFF) + "." + (b[14] & 0xFF) + "."
                    + (b[15] & 0xFF);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
