package io.jmptcp.tun;

import java.nio.ByteBuffer;

/** Minimal IPv4 + ICMP handling for tests (RFC 791, RFC 792): turns an echo request into its reply. */
final class Icmp {
    private Icmp() {
    }

    /**
     * If {@code p} (position 0) is an IPv4 ICMP echo request, rewrites it in place into the echo
     * reply: addresses swapped, type 0, both checksums recomputed. Returns false otherwise.
     */
    static boolean turnEchoRequestIntoReply(ByteBuffer p) {
        if (p.limit() < 28 || (p.get(0) & 0xf0) != 0x40 || p.get(9) != 1) {
            return false;
        }
        int ihl = (p.get(0) & 0x0f) * 4;
        if (p.limit() < ihl + 8 || p.get(ihl) != 8) {
            return false;
        }
        int src = p.getInt(12);
        p.putInt(12, p.getInt(16));
        p.putInt(16, src);
        p.put(8, (byte) 64);
        p.putShort(10, (short) 0);
        p.putShort(10, checksum(p, 0, ihl));
        p.put(ihl, (byte) 0);
        p.putShort(ihl + 2, (short) 0);
        p.putShort(ihl + 2, checksum(p, ihl, p.limit() - ihl));
        return true;
    }

    /** The Internet checksum (RFC 1071): one's complement of the one's complement sum. */
    static short checksum(ByteBuffer p, int offset, int length) {
        long sum = 0;
        int i = offset;
        for (; i + 1 < offset + length; i += 2) {
            sum += p.getShort(i) & 0xffff;
        }
        if (i < offset + length) {
            sum += (p.get(i) & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }
}
