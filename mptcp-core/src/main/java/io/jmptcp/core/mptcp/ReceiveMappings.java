package io.jmptcp.core.mptcp;

import io.jmptcp.core.wire.DataSeq;
import java.util.Map;
import java.util.TreeMap;

/**
 * The data sequence mappings of one subflow's receive side (RFC 8684 section 3.3.1): each DSS
 * mapping says that {@code dataLevelLength} bytes starting at relative subflow sequence number
 * {@code ssn} carry the data bytes starting at {@code dsn}. The subflow hands its in-order bytes
 * here and gets them back split by DSN.
 *
 * <p>Relative SSNs are 32-bit and wrap on long subflows; they are unwrapped against the delivery
 * position, the way 32-bit DSNs are (section 3.3.1). A repeated identical mapping (what Linux
 * sends on every segment of a TSO burst) is absorbed; an overlapping one that maps the same bytes
 * to other DSNs is a conflict that the connection must treat as an invalid mapping (section 3.7).
 */
public final class ReceiveMappings {

    /** What happened to bytes handed in. */
    public enum Status {
        /** Every byte was mapped. */
        OK,
        /** Some bytes had no mapping (RFC 8684 section 3.7: fall back or reset). */
        NO_MAPPING,
        /** A new mapping contradicted one already held for the same bytes. */
        CONFLICT
    }

    /** Where mapped bytes go. */
    @FunctionalInterface
    public interface Sink {
        void data(long dsn, byte[] data, int off, int len);
    }

    private record Mapping(long start, long dsn, long length, boolean dataFin) {
        long end() {
            return start + length;
        }
    }

    /** Mappings by unwrapped start offset (relative SSN expanded to 64 bits). */
    private final TreeMap<Long, Mapping> mappings = new TreeMap<>();
    /** Unwrapped relative SSN of the next byte to be delivered (the first payload byte is 1). */
    private long position = 1;
    /** After an infinite mapping (DLL 0): subflow offset to DSN translation, or null. */
    private Long infiniteDelta;
    private long unmappedBytes;

    /**
     * Registers a mapping. {@code dataLevelLength} counts the DATA_FIN byte when {@code dataFin}
     * is set; 0 is the infinite mapping (section 3.7). A DATA_FIN-only mapping (ssn 0, length 1)
     * is not registered here: the caller passes the DATA_FIN to the connection directly.
     *
     * @return false if the mapping conflicts with one already held
     */
    public boolean add(long dsn, int ssn, int dataLevelLength, boolean dataFin) {
        long start = DataSeq.expand32(position, ssn);
        if (dataLevelLength == 0) {
            infiniteDelta = dsn - start;
            return true;
        }
        long length = dataLevelLength - (dataFin ? 1 : 0);
        if (length <= 0) {
            return true;
        }
        Mapping m = new Mapping(start, dsn, length, dataFin);
        if (m.end() <= position) {
            return true; // covers only bytes already delivered: a retransmission
        }
        for (Mapping old : new Mapping[] {value(mappings.floorEntry(start)),
                                          value(mappings.ceilingEntry(start))}) {
            if (old != null && overlaps(old, m)) {
                if (old.dsn - old.start != m.dsn - m.start) {
                    return false;
                }
                if (old.start <= m.start && old.end() >= m.end()) {
                    return true; // identical or contained: nothing new
                }
            }
        }
        // Consistent overlaps are merged by keeping the longer mapping at the same start.
        Mapping existing = mappings.get(start);
        if (existing == null || existing.length < m.length) {
            mappings.put(start, m);
        }
        return true;
    }

    private static Mapping value(Map.Entry<Long, Mapping> e) {
        return e == null ? null : e.getValue();
    }

    private static boolean overlaps(Mapping a, Mapping b) {
        return a.start < b.end() && b.start < a.end();
    }

    /**
     * Hands in the subflow's next in-order bytes (they start at the delivery position). Mapped
     * bytes go to {@code sink} with their DSN; unmapped bytes are counted and reported.
     */
    public Status deliver(byte[] data, int off, int len, Sink sink) {
        Status status = Status.OK;
        int done = 0;
        while (done < len) {
            int n;
            Map.Entry<Long, Mapping> e = mappings.floorEntry(position);
            if (e != null && e.getValue().end() > position) {
                Mapping m = e.getValue();
                n = (int) Math.min(len - done, m.end() - position);
                sink.data(m.dsn + (position - m.start), data, off + done, n);
                if (position + n >= m.end()) {
                    mappings.remove(e.getKey());
                }
            } else if (infiniteDelta != null) {
                n = len - done;
                sink.data(position + infiniteDelta, data, off + done, n);
            } else {
                Long next = mappings.ceilingKey(position);
                n = (int) Math.min(len - done, next == null ? Long.MAX_VALUE : next - position);
                unmappedBytes += n;
                status = Status.NO_MAPPING;
            }
            position += n;
            done += n;
        }
        // Mappings wholly behind the delivery position are spent.
        while (!mappings.isEmpty() && mappings.firstEntry().getValue().end() <= position) {
            mappings.pollFirstEntry();
        }
        return status;
    }

    /** True once an infinite mapping was received: the subflow carries the stream as plain TCP. */
    public boolean infinite() {
        return infiniteDelta != null;
    }

    /** Bytes that arrived without any mapping. */
    public long unmappedBytes() {
        return unmappedBytes;
    }

    /** Mappings held for bytes not yet delivered. */
    public int pending() {
        return mappings.size();
    }
}
