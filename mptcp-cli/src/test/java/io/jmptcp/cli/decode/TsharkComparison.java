package io.jmptcp.cli.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Frame-by-frame comparison of the decoder's {@code --json} objects with tshark's dissection of
 * the same capture ({@link TsharkDissection}): the TCP fields, the option names, and every field
 * of every MPTCP option, including which fields are present.
 */
final class TsharkComparison {
    private TsharkComparison() {
    }

    /** What was compared, so a test can insist the comparison was not vacuous. */
    record Counts(int segments, int mptcpOptions, Map<String, Integer> bySubtype) {
    }

    static Counts assertAgrees(Path capture, List<DecodedSegment> segments) throws Exception {
        Map<Integer, TsharkDissection.Segment> tshark = TsharkDissection.dissect(capture);
        List<Map<String, Object>> ours = new ArrayList<>();
        for (DecodedSegment s : segments) {
            ours.add(StrictJson.object(SegmentJson.render(s)));
        }
        return assertAgrees(tshark, ours);
    }

    /** Compares parsed {@code decode --json} lines with tshark's segments. */
    static Counts assertAgrees(Map<Integer, TsharkDissection.Segment> tshark,
                               List<Map<String, Object>> ours) {
        TreeSet<Integer> ourFrames = new TreeSet<>();
        for (Map<String, Object> j : ours) {
            ourFrames.add(((BigInteger) j.get("frame")).intValueExact());
        }
        assertEquals(tshark.keySet(), ourFrames, "frames with a TCP segment");
        int options = 0;
        Map<String, Integer> bySubtype = new LinkedHashMap<>();
        for (Map<String, Object> j : ours) {
            int frame = ((BigInteger) j.get("frame")).intValueExact();
            TsharkDissection.Segment t = tshark.get(frame);
            String at = "frame " + frame;
            assertEquals(List.of("frame", "src", "sport", "dst", "dport", "flags", "seq", "ack", "len",
                    "options", "mptcp"), new ArrayList<>(j.keySet()), at + ": JSON keys");
            assertEquals(t.src(), j.get("src"), at + " src");
            assertEquals(t.sport(), longOf(j.get("sport")), at + " sport");
            assertEquals(t.dst(), j.get("dst"), at + " dst");
            assertEquals(t.dport(), longOf(j.get("dport")), at + " dport");
            assertEquals(t.flags(), j.get("flags"), at + " flags");
            assertEquals(t.seq(), longOf(j.get("seq")), at + " seq");
            assertEquals(t.ack(), longOf(j.get("ack")), at + " ack");
            assertEquals(t.len(), longOf(j.get("len")), at + " len");
            assertEquals(t.options(), j.get("options"), at + " options");
            List<Map<String, Object>> mine = new ArrayList<>();
            for (Object o : (List<?>) j.get("mptcp")) {
                mine.add(normalise(o));
            }
            assertEquals(t.mptcp(), mine, at + " MPTCP options");
            for (Map<String, Object> m : mine) {
                options++;
                bySubtype.merge((String) m.get("subtype"), 1, Integer::sum);
            }
        }
        assertTrue(options > 0, "no MPTCP option was compared");
        return new Counts(ours.size(), options, bySubtype);
    }

    /** JSON numbers (BigInteger) as the unsigned-in-a-long values tshark's side holds. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> normalise(Object o) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) o).entrySet()) {
            Object v = e.getValue();
            if (v instanceof BigInteger) {
                v = longOf(v);
            } else if (v instanceof List<?> l) {
                v = l.stream().map(TsharkComparison::longOf).toList();
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    /** An unsigned 64-bit JSON integer as a long holding the same 64 bits. */
    static long longOf(Object v) {
        BigInteger b = (BigInteger) v;
        if (b.signum() < 0 || b.bitLength() > 64) {
            throw new AssertionError("not an unsigned 64-bit integer: " + b);
        }
        return b.longValue();
    }
}
