package io.jmptcp.core.robust;

import io.jmptcp.core.wire.Checksum;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/** Byte-level damage to IP packets, and the checksum repair that lets damaged packets reach the TCP layer. */
final class Mutator {
    private Mutator() {
    }

    /** Flips {@code n} random bits among the first {@code limit} bytes. */
    static byte[] flipBits(byte[] p, int n, int limit, SplittableRandom r) {
        byte[] b = p.clone();
        int span = Math.min(limit, b.length);
        for (int i = 0; i < n && span > 0; i++) {
            int at = r.nextInt(span);
            b[at] ^= (byte) (1 << r.nextInt(8));
        }
        return b;
    }

    /** The IP and TCP headers' length (options included), or the whole packet if it does not parse. */
    static int headersLength(byte[] b) {
        int t = tcpOffset(b);
        int hl = tcpHeaderLength(b);
        return t < 0 || hl < 0 ? b.length : Math.min(b.length, t + hl);
    }

    static byte[] overwrite(byte[] p, int from, int to, SplittableRandom r) {
        byte[] b = p.clone();
        for (int i = Math.max(0, from); i < Math.min(to, b.length); i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    static byte[] truncate(byte[] p, SplittableRandom r) {
        int n = p.length <= 1 ? 0 : r.nextInt(p.length);
        byte[] b = new byte[n];
        System.arraycopy(p, 0, b, 0, n);
        return b;
    }

    static byte[] random(SplittableRandom r) {
        byte[] b = new byte[r.nextInt(120)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        if (b.length > 0 && r.nextBoolean()) {
            b[0] = (byte) (r.nextBoolean() ? 0x45 : 0x60);
        }
        return b;
    }

    /** Offset of the TCP header, or -1 if the bytes do not start with an IPv4 or IPv6 header. */
    static int tcpOffset(byte[] b) {
        if (b.length < 20) {
            return -1;
        }
        int v = (b[0] & 0xff) >>> 4;
        if (v == 4) {
            return (b[0] & 0x0f) * 4;
        }
        return v == 6 && b.length >= 40 ? 40 : -1;
    }

    /** The TCP header length from the data offset, or -1. */
    static int tcpHeaderLength(byte[] b) {
        int t = tcpOffset(b);
        return t < 0 || b.length < t + 13 ? -1 : ((b[t + 12] & 0xff) >>> 4) * 4;
    }

    /**
     * Makes the IP length field match the bytes and recomputes the IPv4 header and TCP checksums
     * (as a forger would), so the packet gets past the engine's first checks. Bytes that are not
     * a plausible IPv4/IPv6 + TCP packet are returned unchanged.
     */
    static byte[] fix(byte[] b) {
        int t = tcpOffset(b);
        if (t < 20 || b.length < t + 20) {
            return b;
        }
        ByteBuffer buf = ByteBuffer.wrap(b);
        int tcpLen = b.length - t;
        int pseudo;
        if (t == 40 && (b[0] & 0xf0) == 0x60) {
            buf.putShort(4, (short) tcpLen);
            b[6] = 6;
            byte[] src = new byte[16];
            byte[] dst = new byte[16];
            System.arraycopy(b, 8, src, 0, 16);
            System.arraycopy(b, 24, dst, 0, 16);
            pseudo = Checksum.pseudoIpv6(src, dst, 6, tcpLen);
        } else {
            buf.putShort(2, (short) b.length);
            b[9] = 6;
            buf.putShort(10, (short) Checksum.ipv4Header(buf, 0, t));
            pseudo = Checksum.pseudoIpv4(buf.getInt(12), buf.getInt(16), 6, tcpLen);
        }
        buf.putShort(t + 16, (short) Checksum.tcp(pseudo, buf, t, tcpLen));
        return b;
    }
}
