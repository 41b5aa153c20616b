package io.jmptcp.core.wire;

/**
 * A 64-bit MPTCP data sequence number (DSN) or DATA_ACK (RFC 8684 section 3.3).
 *
 * <p>Comparison is modulo 2^64. A peer may send the low 32 bits only (DSS flags m=0 or a=0);
 * {@link #expand32(long, int)} rebuilds the full value against the current 64-bit reference, the
 * way RFC 8684 section 3.3.1 asks and Linux {@code __mptcp_expand_seq} does.
 */
public record DataSeq(long raw) implements Comparable<DataSeq> {

    public DataSeq plus(long n) {
        return new DataSeq(raw + n);
    }

    public boolean lt(DataSeq o) {
        return raw - o.raw < 0;
    }

    public boolean le(DataSeq o) {
        return raw - o.raw <= 0;
    }

    @Override
    public int compareTo(DataSeq o) {
        return Long.signum(raw - o.raw);
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(raw);
    }

    public static boolean lt(long a, long b) {
        return a - b < 0;
    }

    public static boolean le(long a, long b) {
        return a - b <= 0;
    }

    /**
     * Expands a 32-bit DSN or DATA_ACK to 64 bits: the value whose low 32 bits are {@code low32}
     * and which lies closest to {@code reference} (within 2^31 either side), so that a wrap of
     * the low half in either direction carries into the high half.
     */
    public static long expand32(long reference, int low32) {
        // The signed 32-bit distance from the reference's low half picks the nearest value.
        return reference + (low32 - (int) reference);
    }
}
