package io.jmptcp.cli.decode;

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
        StringBuilder sb = new StringBuilder("{\"frame\":").append(s.frame());
        sb.append(",\"src\":");
        SegmentJson.string(sb, s.src());
        sb.append(",\"sport\":").append(s.sport()).append(",\"dst\":");
        SegmentJson.string(sb, s.dst());
        sb.append(",\"dport\":").append(s.dport()).append(",\"flags\":");
        SegmentJson.string(sb, s.flags());
        sb.append(",\"seq\":").append(s.seq()).append(",\"ack\":").append(s.ack());
        sb.append(",\"len\":").append(s.len()).append(",\"options\":");
        value(sb, s.options());
        sb.append(",\"mptcp\":[");
        String sep = "";
        for (Map<String, Object> m : s.mptcp()) {
            sb.append(sep).append('{');
            sep = ",";
            String fsep = "";
            for (Map.Entry<String, Object> e : m.entrySet()) {
                sb.append(fsep);
                fsep = ",";
                SegmentJson.string(sb, e.getKey());
                sb.append(':');
                value(sb, e.getValue());
            }
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    private static void value(StringBuilder sb, Object v) {
        if (v instanceof Long l) {
            sb.append(Long.toUnsignedString(l));
        } else if (v instanceof Boolean b) {
            sb.append(b);
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                sb.append(i > 0 ? "," : "");
                value(sb, list.get(i));
            }
            sb.append(']');
        } else {
            SegmentJson.string(sb, String.valueOf(v));
        }
    }
}
