package io.jmptcp.core.wire;

/**
 * A 32-bit TCP (subflow) sequence number with modulo-2^32 comparison (RFC 9293 section 3.4).
 *
 * <p>The static methods work on raw {@code int}s for the per-segment paths of the engine; the record
 * is the typed form for APIs and tests. Comparison is only meaningful for numbers less than 2^31
 * apart, as in every TCP.
 */
public record SeqNum(int raw) implements Comparable<SeqNum> {

    public static SeqNum of(long value) {
        return new SeqNum((int) value);
    }

    public SeqNum plus(int n) {
        return new SeqNum(raw + n);
    }

    /** Signed distance {@code this - other}, correct across the wrap. */
    public int minus(SeqNum other) {
        return raw - other.raw;
    }

    public boolean lt(SeqNum o) {
        return lt(raw, o.raw);
    }

    public boolean le(SeqNum o) {
        return le(raw, o.raw);
    }

    public boolean gt(SeqNum o) {
        return lt(o.raw, raw);
    }

    public boolean ge(SeqNum o) {
        return le(o.raw, raw);
    }

    public long unsigned() {
        return Integer.toUnsignedLong(raw);
    }

    @Override
    public int compareTo(SeqNum o) {
        return Integer.signum(raw - o.raw);
    }

    @Override
    public String toString() {
        return Long.toString(unsigned());
    }

    // ---- raw forms -------------------------------------------------------------------------

    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    public static int max(int a, int b) {
        return lt(a, b) ? b : a;
    }

    public static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }

    /** True when {@code lo <= x < hi} in sequence space. */
    public static boolean inWindow(int x, int lo, int hi) {
        return le(lo, x) && lt(x, hi);
    }
}
