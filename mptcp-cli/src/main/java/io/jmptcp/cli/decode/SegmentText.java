package io.jmptcp.cli.decode;

import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Renders a {@link DecodedSegment} as one readable, tcpdump-like line, for example
 * {@code 1 10.0.1.1:41234 > 10.0.2.1:5201 [S] seq=3616192133 ack=0 len=0 <mss 1460,sack_perm,
 * ts val 3490658733 ecr 0,nop,wscale 10,mptcp MP_CAPABLE v1 flags=0x01>}. Numbers are unsigned
 * decimal like the JSON output, flags and checksums hex; a true boolean field is shown by its
 * name alone (for example {@code data_fin}), a false one not at all.
 */
public final class SegmentText {
    private SegmentText() {
    }

    public static String render(DecodedSegment s) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(s.frame()).append(' ');
        endpoint(sb, s.src(), s.srcPort());
        sb.append(" > ");
        endpoint(sb, s.dst(), s.dstPort());
        sb.append(" [").append(TcpHeader.flagLetters(s.flags())).append(']');
        sb.append(" seq=").append(Integer.toUnsignedString(s.seq()));
        sb.append(" ack=").append(Integer.toUnsignedString(s.ack()));
        sb.append(" win=").append(s.window());
        sb.append(" len=").append(s.payloadLength());
        List<TcpOption> options = s.options();
        if (!options.isEmpty()) {
            sb.append(" <").append(options.stream().map(SegmentText::option)
                    .collect(Collectors.joining(","))).append('>');
        }
        return sb.toString();
    }

    private static void endpoint(StringBuilder sb, InetAddress a, int port) {
        String text = OptionFields.address(a);
        if (a instanceof Inet6Address) {
            sb.append('[').append(text).append(']');
        } else {
            sb.append(text);
        }
        sb.append(':').append(port);
    }

    static String option(TcpOption o) {
        Optional<OptionFields.Mptcp> m = OptionFields.mptcp(o);
        if (m.isPresent()) {
            return "mptcp " + mptcp(m.get());
        }
        String name = OptionFields.name(o);
        if (o instanceof TcpOption.Mss mss) {
            return name + " " + mss.mss();
        } else if (o instanceof TcpOption.WindowScale w) {
            return name + " " + w.shift();
        } else if (o instanceof TcpOption.Timestamps t) {
            return "ts val " + Integer.toUnsignedString(t.tsVal()) + " ecr "
                    + Integer.toUnsignedString(t.tsEcr());
        } else if (o instanceof TcpOption.Sack sack) {
            return name + " " + sack.blocks().stream().map(TcpOption.SackBlock::toString)
                    .collect(Collectors.joining(" "));
        } else if (o instanceof TcpOption.Unknown u) {
            return name + " " + HexFormat.of().formatHex(u.data());
        } else if (o instanceof TcpOption.Malformed bad) {
            return name + " (" + bad.reason() + ")";
        }
        return name;
    }

    static String mptcp(OptionFields.Mptcp m) {
        StringBuilder sb = new StringBuilder(m.subtype());
        for (Map.Entry<String, Object> e : m.fields().entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (v instanceof Boolean b) {
                if (b) {
                    sb.append(' ').append(key);
                }
                continue;
            }
            sb.append(' ');
            if (key.equals("version")) {
                sb.append('v').append(v);
            } else if (key.equals("flags") && v instanceof Long l) {
                sb.append("flags=0x").append(String.format("%02x", l));
            } else if (key.equals("checksum") && v instanceof Long l) {
                sb.append("checksum=0x").append(String.format("%04x", l));
            } else if (v instanceof Long l) {
                sb.append(key).append('=').append(Long.toUnsignedString(l));
            } else if (v instanceof List<?> list) {
                sb.append(key).append('=').append(list.stream().map(String::valueOf)
                        .collect(Collectors.joining("/")));
            } else if (key.equals("error")) {
                sb.append('(').append(v).append(')');
            } else {
                sb.append(key).append('=').append(v);
            }
        }
        return sb.toString();
    }
}
