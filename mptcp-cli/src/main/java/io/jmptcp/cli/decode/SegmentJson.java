package io.jmptcp.cli.decode;

import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link DecodedSegment} as one line of JSON with the keys of the {@code decode --json}
 * contract: {@code frame, src, sport, dst, dport, flags, seq, ack, len, options, mptcp}. Integers
 * are unsigned decimal numbers exact to 64 bits; hex strings are lowercase. Written by hand to keep
 * the command free of a JSON library.
 */
public final class SegmentJson {
    private SegmentJson() {
    }

    public static String render(DecodedSegment s) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"frame\":").append(s.frame());
        sb.append(",\"src\":");
        string(sb, OptionFields.address(s.src()));
        sb.append(",\"sport\":").append(s.srcPort());
        sb.append(",\"dst\":");
        string(sb, OptionFields.address(s.dst()));
        sb.append(",\"dport\":").append(s.dstPort());
        sb.append(",\"flags\":");
        string(sb, TcpHeader.flagLetters(s.flags()));
        sb.append(",\"seq\":").append(Integer.toUnsignedString(s.seq()));
        sb.append(",\"ack\":").append(Integer.toUnsignedString(s.ack()));
        sb.append(",\"len\":").append(s.payloadLength());
        sb.append(",\"options\":[");
        List<TcpOption> options = s.options();
        for (int i = 0; i < options.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            string(sb, OptionFields.name(options.get(i)));
        }
        sb.append("],\"mptcp\":[");
        List<OptionFields.Mptcp> mptcp = OptionFields.mptcp(options);
        for (int i = 0; i < mptcp.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            object(sb, mptcp.get(i));
        }
        return sb.append("]}").toString();
    }

    private static void object(StringBuilder sb, OptionFields.Mptcp m) {
        sb.append("{\"subtype\":");
        string(sb, m.subtype());
        for (Map.Entry<String, Object> e : m.fields().entrySet()) {
            sb.append(',');
            string(sb, e.getKey());
            sb.append(':');
            value(sb, e.getValue());
        }
        sb.append('}');
    }

    private static void value(StringBuilder sb, Object v) {
        if (v instanceof Long l) {
            sb.append(Long.toUnsignedString(l));
        } else if (v instanceof Boolean b) {
            sb.append(b);
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                value(sb, list.get(i));
            }
            sb.append(']');
        } else {
            string(sb, String.valueOf(v));
        }
    }

    /** A JSON string literal (RFC 8259 section 7): quote, backslash and control characters escaped. */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
