package io.jmptcp.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) and the checksums built on it: IPv4 header (RFC 791), TCP over
 * the IPv4 and IPv6 pseudo-headers (RFC 9293 section 3.1, RFC 8200 section 8.1), incremental
 * update (RFC 1624) and the MPTCP DSS checksum (RFC 8684 section 3.3.1).
 *
 * <p><b>Accumulator.</b> The {@code add*} methods take and return a running one's-complement sum
 * held in an {@code int}; it always stays in {@code 0..0xffff} (folded), so any number of ranges
 * can be chained without overflow: start from 0 (or {@link #pseudoIpv4}), add ranges, then
 * {@link #finish} to get the checksum to write, or {@link #fold} to check a received one (a valid
 * packet sums to {@code 0xffff}). A range of odd length is padded with a zero byte at its end, so
 * every range except the last must have even length, unless the caller uses
 * {@link #add(int, ByteBuffer, int, int, long)} with the range's position in the summed stream
 * (RFC 1071 section 2(B): a sum over bytes shifted by one is the byte-swapped sum).
 *
 * <p>All methods read absolute indexes, never move buffer positions and never allocate.
 */
public final class Checksum {
    private static final VarHandle LONG_BE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Checksum() {
    }

    // ---- accumulator ---------------------------------------------------------------------

    /** Folds a non-negative long sum of 16- or 32-bit quantities into 0..0xffff. */
    private static int foldLong(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** Adds {@code length} bytes of {@code buf} at absolute index {@code offset}. */
    public static int add(int acc, ByteBuffer buf, int offset, int length) {
        Bytes.checkRange(buf, offset, length);
        boolean be = buf.order() == ByteOrder.BIG_ENDIAN;
        long sum = acc & 0xffffffffL;
        int i = offset;
        int end = offset + length;
        // 2^32 is congruent to 1 modulo 2^16 - 1, so adding both 32-bit halves of each 64-bit
        // big-endian word and folding at the end gives the 16-bit one's-complement sum.
        while (end - i >= 8) {
            long v = buf.getLong(i);
            if (!be) {
                v = Long.reverseBytes(v);
            }
            sum += (v >>> 32) + (v & 0xffffffffL);
            i += 8;
        }
        while (end - i >= 2) {
            sum += ((buf.get(i) & 0xff) << 8) | (buf.get(i + 1) & 0xff);
            i += 2;
        }
        if (i < end) {
            sum += (buf.get(i) & 0xff) << 8;
        }
        return foldLong(sum);
    }

    /** Adds {@code length} bytes of {@code a} from {@code offset}. */
    public static int add(int acc, byte[] a, int offset, int length) {
        if (offset < 0 || length < 0 || offset > a.length - length) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length + " outside " + a.length);
        }
        long sum = acc & 0xffffffffL;
        int i = offset;
        int end = offset + length;
        while (end - i >= 8) {
            long v = (long) LONG_BE.get(a, i);
            sum += (v >>> 32) + (v & 0xffffffffL);
            i += 8;
        }
        while (end - i >= 2) {
            sum += ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
            i += 2;
        }
        if (i < end) {
            sum += (a[i] & 0xff) << 8;
        }
        return foldLong(sum);
    }

    /**
     * Adds a range that starts at byte {@code streamPosition} of the summed stream: when that
     * position is odd the range's sum is byte-swapped (RFC 1071 section 2(B)), so a DSS mapping
     * split across segments of any length can be summed piece by piece.
     */
    public static int add(int acc, ByteBuffer buf, int offset, int length, long streamPosition) {
        int part = add(0, buf, offset, length);
        if ((streamPosition & 1) != 0) {
            part = ((part & 0xff) << 8) | (part >>> 8);
        }
        return foldLong((acc & 0xffffffffL) + part);
    }

    /** Adds one 16-bit value. */
    public static int add16(int acc, int value) {
        return foldLong((acc & 0xffffffffL) + (value & 0xffff));
    }

    /** Adds a 32-bit value as two 16-bit words. */
    public static int add32(int acc, int value) {
        return foldLong((acc & 0xffffffffL) + (value >>> 16) + (value & 0xffff));
    }

    /** Adds a 64-bit value as four 16-bit words. */
    public static int add64(int acc, long value) {
        return foldLong((acc & 0xffffffffL) + (value >>> 32) + (value & 0xffffffffL));
    }

    /** The folded sum, 0..0xffff; a received header or segment including its checksum is valid when this is 0xffff. */
    public static int fold(int acc) {
        return foldLong(acc & 0xffffffffL);
    }

    /** The checksum to write: the one's complement of the folded sum. */
    public static int finish(int acc) {
        return ~fold(acc) & 0xffff;
    }

    /** RFC 1071 checksum of one range. */
    public static int internet(ByteBuffer buf, int offset, int length) {
        return finish(add(0, buf, offset, length));
    }

    // ---- IP and TCP ------------------------------------------------------------------------

    /**
     * The IPv4 header checksum (RFC 791 section 3.1) over {@code headerLength} (at least 20)
     * bytes, computed as if the checksum field (bytes 10-11) were zero, whatever it holds.
     */
    public static int ipv4Header(ByteBuffer buf, int offset, int headerLength) {
        // Sum around the field rather than subtracting it, so that the result is exact even where
        // one's-complement subtraction would yield the other zero (RFC 1624 section 3).
        int acc = add(0, buf, offset, 10);
        return finish(add(acc, buf, offset + 12, headerLength - 12));
    }

    /** The IPv4 pseudo-header sum (RFC 9293 section 3.1): addresses, zero, protocol, TCP length. */
    public static int pseudoIpv4(int srcAddr, int dstAddr, int protocol, int length) {
        return add32(add32(add16(add16(0, protocol), length), srcAddr), dstAddr);
    }

    /**
     * The IPv6 pseudo-header sum (RFC 8200 section 8.1) with the 16-byte addresses read from
     * {@code buf} at the given absolute indexes (for example straight from the IPv6 header).
     */
    public static int pseudoIpv6(ByteBuffer buf, int srcOffset, int dstOffset, int nextHeader,
                                 int length) {
        int acc = add(0, buf, srcOffset, 16);
        acc = add(acc, buf, dstOffset, 16);
        return add32(add16(acc, nextHeader), length);
    }

    /** The IPv6 pseudo-header sum with the addresses as 16-byte arrays. */
    public static int pseudoIpv6(byte[] src, byte[] dst, int nextHeader, int length) {
        int acc = add(0, src, 0, 16);
        acc = add(acc, dst, 0, 16);
        return add32(add16(acc, nextHeader), length);
    }

    /**
     * The TCP checksum (RFC 9293 section 3.1) of a segment of {@code length} bytes at
     * {@code offset} (at least 18 bytes), given the pseudo-header sum, computed as if the checksum
     * field (bytes 16-17 of the TCP header) were zero, whatever it holds.
     */
    public static int tcp(int pseudoHeaderSum, ByteBuffer buf, int offset, int length) {
        int acc = add(pseudoHeaderSum, buf, offset, 16);
        return finish(add(acc, buf, offset + 18, length - 18));
    }

    /** True when the segment's stored TCP checksum is right for the pseudo-header sum. */
    public static boolean tcpValid(int pseudoHeaderSum, ByteBuffer buf, int offset, int length) {
        return fold(add(pseudoHeaderSum, buf, offset, length)) == 0xffff;
    }

    // ---- RFC 1624 --------------------------------------------------------------------------

    /** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for a 16-bit field changing from m to m'. */
    public static int update16(int checksum, int oldValue, int newValue) {
        int acc = add16(add16(~checksum & 0xffff, ~oldValue), newValue);
        return ~acc & 0xffff;
    }

    /** RFC 1624 eqn. 3 applied to both halves of a 32-bit field (an address, a sequence number). */
    public static int update32(int checksum, int oldValue, int newValue) {
        int acc = add32(add32(~checksum & 0xffff, ~oldValue), newValue);
        return ~acc & 0xffff;
    }

    // ---- MPTCP DSS -------------------------------------------------------------------------

    /**
     * The DSS checksum pseudo-header sum (RFC 8684 section 3.3.1): the full 64-bit DSN (even when
     * the option carries 32 bits), the relative subflow sequence number, the data-level length
     * (counting a DATA_FIN) and 16 zero bits. Add the mapped payload, then {@link #finish}.
     */
    public static int dssPseudoHeader(long dsn, int relativeSsn, int dataLevelLength) {
        return add16(add32(add64(0, dsn), relativeSsn), dataLevelLength);
    }

    /** The DSS checksum of a whole mapping whose payload is one range. */
    public static int dss(long dsn, int relativeSsn, int dataLevelLength, ByteBuffer payload,
                          int offset, int length) {
        return finish(add(dssPseudoHeader(dsn, relativeSsn, dataLevelLength), payload, offset, length));
    }

    /**
     * True when a received mapping is intact: the pseudo-header sum with the received checksum in
     * place of the zero field, plus the payload, is 0xffff (Linux {@code validate_data_csum}).
     */
    public static boolean dssValid(long dsn, int relativeSsn, int dataLevelLength, int checksum,
                                   ByteBuffer payload, int offset, int length) {
        int acc = add16(dssPseudoHeader(dsn, relativeSsn, dataLevelLength), checksum);
        return fold(add(acc, payload, offset, length)) == 0xffff;
    }
}
