package io.jmptcp.core.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Big-endian (network order) absolute reads and writes on a {@link ByteBuffer}, whatever the
 * buffer's own byte order. They never move the buffer's position and never allocate.
 */
final class Bytes {
    private Bytes() {
    }

    static int u8(ByteBuffer b, int i) {
        return b.get(i) & 0xff;
    }

    static int u16(ByteBuffer b, int i) {
        short s = b.getShort(i);
        if (b.order() != ByteOrder.BIG_ENDIAN) {
            s = Short.reverseBytes(s);
        }
        return s & 0xffff;
    }

    static int i32(ByteBuffer b, int i) {
        int v = b.getInt(i);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
    }

    static long i64(ByteBuffer b, int i) {
        long v = b.getLong(i);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
    }

    static void put8(ByteBuffer b, int i, int v) {
        b.put(i, (byte) v);
    }

    static void put16(ByteBuffer b, int i, int v) {
        short s = (short) v;
        b.putShort(i, b.order() == ByteOrder.BIG_ENDIAN ? s : Short.reverseBytes(s));
    }

    static void put32(ByteBuffer b, int i, int v) {
        b.putInt(i, b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v));
    }

    static void put64(ByteBuffer b, int i, long v) {
        b.putLong(i, b.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v));
    }

    /** A copy of {@code length} bytes at absolute index {@code offset}. */
    static byte[] copy(ByteBuffer b, int offset, int length) {
        byte[] out = new byte[length];
        b.get(offset, out, 0, length);
        return out;
    }

    /** Throws (API misuse, not bad wire input) unless [offset, offset+length) lies within the limit. */
    static void checkRange(ByteBuffer b, int offset, int length) {
        if (offset < 0 || length < 0 || offset > b.limit() - length) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length
                    + " outside buffer limit " + b.limit());
        }
    }

    /**
     * An address from 4 or 16 bytes, without a name lookup. A 16-byte IPv4-mapped address stays
     * an {@link Inet6Address}, so that its length on the wire is kept.
     */
    static InetAddress address(byte[] bytes) {
        try {
            return bytes.length == 16 ? Inet6Address.getByAddress(null, bytes, -1)
                    : Inet4Address.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
    }
}
