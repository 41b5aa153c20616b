package io.jmptcp.core.mptcp;

import io.jmptcp.core.wire.Checksum;
import io.jmptcp.core.wire.DataSeq;
import java.nio.ByteBuffer;
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
        CONFLICT,
        /** A mapping's DSS checksum did not verify; its bytes were discarded (section 3.3.1). */
        CHECKSUM_FAILED
    }

    /** Where mapped bytes go. */
    @FunctionalInterface
    public interface Sink {
        void data(long dsn, byte[] data, int off, int len);

        /**
         * The DATA_FIN of a checksummed mapping, at DSN {@code finDsn}, once the mapping verified:
         * the checksum covers the F flag (through the data-level length), so it counts only then.
         */
        default void dataFin(long finDsn) {
        }
    }

    /**
     * One mapping. With a checksum (RFC 8684 section 3.3.1) the bytes are held in {@code held}
     * until the whole mapping is in, because the checksum covers the whole mapping.
     */
    private static final class Mapping {
        final long start;
        final long dsn;
        final long length;
        final boolean dataFin;
        final int ssn32;
        final int dataLevelLength;
        final int checksum;
        final byte[] held;

        Mapping(long start, long dsn, long length, boolean dataFin, int ssn32, int dataLevelLength,
                boolean hasChecksum, int checksum) {
            this.start = start;
            this.dsn = dsn;
            this.length = length;
            this.dataFin = dataFin;
            this.ssn32 = ssn32;
            this.dataLevelLength = dataLevelLength;
            this.checksum = checksum;
            this.held = hasChecksum ? new byte[(int) length] : null;
        }

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
    /** DSN minus subflow offset of the latest mapping, for a fallback that keeps the stream. */
    private Long lastDelta;
    private long unmappedBytes;
    private long failedDsn = -1;
    private byte[] failedBytes;
    private int verifiedMappings;

    /**
     * Registers a mapping. {@code dataLevelLength} counts the DATA_FIN byte when {@code dataFin}
     * is set; 0 is the infinite mapping (section 3.7). A DATA_FIN-only mapping (ssn 0, length 1)
     * is not registered here: the caller passes the DATA_FIN to the connection directly.
     *
     * @return false if the mapping conflicts with one already held
     */
    public boolean add(long dsn, int ssn, int dataLevelLength, boolean dataFin) {
        return add(dsn, ssn, dataLevelLength, dataFin, false, 0);
    }

    /**
     * Registers a mapping that carries a DSS checksum when {@code hasChecksum}: its bytes are held
     * until the mapping is complete and delivered only if the checksum verifies.
     */
    public boolean add(long dsn, int ssn, int dataLevelLength, boolean dataFin, boolean hasChecksum,
                       int checksum) {
        long start = DataSeq.expand32(position, ssn);
        if (dataLevelLength == 0) {
            infiniteDelta = dsn - start;
            return true;
        }
        long length = dataLevelLength - (dataFin ? 1 : 0);
        if (length <= 0) {
            return true;
        }
        long delta = dsn - start;
        lastDelta = delta;
        long end = start + length;
        if (end <= position) {
            return true; // covers only bytes already delivered: a retransmission
        }
        // Checked before anything is allocated: most mappings repeat one already held (every
        // segment of a TSO burst, or of one of our chunks, carries its chunk's mapping).
        Boolean below = against(value(mappings.floorEntry(start)), start, end, delta);
        if (below != null) {
            return below;
        }
        Boolean above = against(value(mappings.ceilingEntry(start)), start, end, delta);
        if (above != null) {
            return above;
        }
        // Consistent overlaps are merged by keeping the longer mapping at the same start.
        Mapping existing = mappings.get(start);
        if (existing == null || existing.length < length) {
            mappings.put(start, new Mapping(start, dsn, length, dataFin, ssn, dataLevelLength, hasChecksum, checksum));
        }
        return true;
    }

    /**
     * A new mapping {@code [start, end)} with DSN minus start {@code delta} against a held one:
     * false if they overlap and disagree, true if the held one covers it (nothing new), null if
     * the new one must be looked at further.
     */
    private static Boolean against(Mapping old, long start, long end, long delta) {
        if (old == null || old.start >= end || start >= old.end()) {
            return null;
        }
        if (old.dsn - old.start != delta) {
            return Boolean.FALSE;
        }
        return old.start <= start && old.end() >= end ? Boolean.TRUE : null;
    }

    private static Mapping value(Map.Entry<Long, Mapping> e) {
        return e == null ? null : e.getValue();
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
                if (m.held == null) {
                    sink.data(m.dsn + (position - m.start), data, off + done, n);
                } else {
                    System.arraycopy(data, off + done, m.held, (int) (position - m.start), n);
                    if (position + n >= m.end() && !verify(m, sink)) {
                        status = Status.CHECKSUM_FAILED;
                    }
                }
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

    private boolean verify(Mapping m, Sink sink) {
        if (Checksum.dssValid(m.dsn, m.ssn32, m.dataLevelLength, m.checksum, ByteBuffer.wrap(m.held), 0,
                m.held.length)) {
            verifiedMappings++;
            sink.data(m.dsn, m.held, 0, m.held.length);
            if (m.dataFin) {
                sink.dataFin(m.dsn + m.dataLevelLength - 1);
            }
            return true;
        }
        failedDsn = m.dsn;
        failedBytes = m.held;
        return false;
    }

    /** Whether the bytes at relative SSN {@code [start, start + len)} are covered by a held or infinite mapping. */
    public boolean covers(long start, int len) {
        if (infiniteDelta != null || start + len <= position) {
            return true;
        }
        Map.Entry<Long, Mapping> e = mappings.floorEntry(Math.max(start, position));
        return e != null && e.getValue().end() >= start + len;
    }

    /**
     * Falls back to plain TCP on this subflow (RFC 8684 section 3.7): from now on every byte not
     * covered by a mapping gets the DSN that continues the latest mapping, or {@code defaultDelta}
     * + its offset when no mapping was ever seen.
     */
    public void fallback(long defaultDelta) {
        if (infiniteDelta == null) {
            infiniteDelta = lastDelta != null ? lastDelta : defaultDelta;
        }
    }

    /** The DSN of the mapping whose checksum failed last, or -1. */
    public long failedDsn() {
        return failedDsn;
    }

    /** The bytes of the mapping whose checksum failed last (what TCP delivered), or null. */
    public byte[] failedBytes() {
        return failedBytes;
    }

    /** Mappings whose checksum verified. */
    public int verifiedMappings() {
        return verifiedMappings;
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
