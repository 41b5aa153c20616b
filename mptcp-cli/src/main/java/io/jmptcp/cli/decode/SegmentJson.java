package io.jmptcp.cli.decode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link DecodedSegment} as one line of JSON with the keys of the {@code decode --json}
 * contract, in this order: {@code frame, src, sport, dst, dport, flags, seq, ack, len, options,
 * mptcp}. Integers are unsigned decimal numbers exact to 64 bits; hex strings are lowercase.
 * Written by Jackson, compact (no spaces), one object per call.
 */
public final class SegmentJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JSON.getNodeFactory();

    private SegmentJson() {
    }

    public static String render(DecodedSegment s) {
        return write(tree(s));
    }

    /** The segment as a Jackson tree, keys in the contract's order. */
    static ObjectNode tree(DecodedSegment s) {
        ObjectNode o = NODES.objectNode();
        o.put("frame", s.frame());
        o.put("src", OptionFields.address(s.src()));
        o.put("sport", s.srcPort());
        o.put("dst", OptionFields.address(s.dst()));
        o.put("dport", s.dstPort());
        o.put("flags", TcpHeader.flagLetters(s.flags()));
        o.put("seq", Integer.toUnsignedLong(s.seq()));
        o.put("ack", Integer.toUnsignedLong(s.ack()));
        o.put("len", s.payloadLength());
        List<TcpOption> options = s.options();
        ArrayNode names = o.putArray("options");
        for (TcpOption option : options) {
            names.add(OptionFields.name(option));
        }
        ArrayNode mptcp = o.putArray("mptcp");
        for (OptionFields.Mptcp m : OptionFields.mptcp(options)) {
            ObjectNode mo = mptcp.addObject();
            mo.put("subtype", m.subtype());
            for (Map.Entry<String, Object> e : m.fields().entrySet()) {
                mo.set(e.getKey(), value(e.getValue()));
            }
        }
        return o;
    }

    /** A field value of {@link OptionFields}: longs as unsigned 64-bit numbers, booleans, lists, else text. */
    static JsonNode value(Object v) {
        if (v instanceof Long l) {
            return l >= 0 ? NODES.numberNode(l) : NODES.numberNode(new BigInteger(Long.toUnsignedString(l)));
        }
        if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (v instanceof List<?> list) {
            ArrayNode a = NODES.arrayNode(list.size());
            for (Object item : list) {
                a.add(value(item));
            }
            return a;
        }
        return NODES.textNode(String.valueOf(v));
    }

    /** Compact JSON of a tree. */
    static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            // a tree of strings, numbers and booleans always serialises
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
