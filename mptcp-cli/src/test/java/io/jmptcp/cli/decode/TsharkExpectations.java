package io.jmptcp.cli.decode;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes tshark's dissection of a capture ({@link TsharkDissection}) as JSON lines in the shape of
 * {@code decode --json}, to store next to a test capture as its expected output. Run from the
 * repository root after {@code mvn -B -q -pl mptcp-cli -am test-compile}:
 * <pre>
 * cp=$(mvn -B -q -pl mptcp-cli dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
 * java -cp mptcp-cli/target/test-classes:mptcp-cli/target/classes:mptcp-core/target/test-classes:$cp \
 *   io.jmptcp.cli.decode.TsharkExpectations CAPTURE OUT.jsonl
 * </pre>
 */
final class TsharkExpectations {
    private TsharkExpectations() {
    }

    public static void main(String[] args) throws Exception {
        List<String> lines = new ArrayList<>();
        for (TsharkDissection.Segment s : TsharkDissection.dissect(Path.of(args[0])).values()) {
            lines.add(line(s));
        }
        Files.write(Path.of(args[1]), lines);
    }

    static String line(TsharkDissection.Segment s) {
        ObjectNode o = StrictJson.MAPPER.createObjectNode();
        o.put("frame", s.frame());
        o.put("src", s.src());
        o.put("sport", s.sport());
        o.put("dst", s.dst());
        o.put("dport", s.dport());
        o.put("flags", s.flags());
        o.set("seq", SegmentJson.value(s.seq()));
        o.set("ack", SegmentJson.value(s.ack()));
        o.set("len", SegmentJson.value(s.len()));
        o.set("options", SegmentJson.value(s.options()));
        ArrayNode mptcp = o.putArray("mptcp");
        for (Map<String, Object> m : s.mptcp()) {
            ObjectNode mo = mptcp.addObject();
            m.forEach((k, v) -> mo.set(k, SegmentJson.value(v)));
        }
        return SegmentJson.write(o);
    }
}
