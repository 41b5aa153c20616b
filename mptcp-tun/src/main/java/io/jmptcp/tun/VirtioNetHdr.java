package io.jmptcp.tun;

import java.nio.ByteBuffer;

/**
 * The 10-byte {@code struct virtio_net_hdr} (linux/virtio_net.h) that a TUN device opened with
 * {@code IFF_VNET_HDR} puts before every packet it reads and expects before every packet it is
 * written: {@code u8 flags; u8 gso_type; le16 hdr_len; le16 gso_size; le16 csum_start;
 * le16 csum_offset}. The 16-bit fields are little-endian on the machines the stack runs on
 * (x86_64, arm64: a legacy virtio header is in the host's byte order, and TUN's own default is
 * little-endian).
 *
 * <p>A mutable holder, reused for every packet so that the packet path allocates nothing.
 */
final class VirtioNetHdr {
    static final int LENGTH = 10;

    /** flags: the checksum from csum_start to the end is still to be computed (CHECKSUM_PARTIAL). */
    static final int F_NEEDS_CSUM = 1;
    /** flags: the kernel has already checked the checksum. */
    static final int F_DATA_VALID = 2;

    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP = 3;
    static final int GSO_TCPV6 = 4;
    /** gso_type bit: the super-packet carries CWR (TCP ECN), which only the first piece may keep. */
    static final int GSO_ECN = 0x80;

    int flags;
    int gsoType;
    int hdrLen;
    int gsoSize;
    int csumStart;
    int csumOffset;

    /** Reads the header at absolute index {@code at}. */
    VirtioNetHdr decode(ByteBuffer b, int at) {
        flags = b.get(at) & 0xff;
        gsoType = b.get(at + 1) & 0xff;
        hdrLen = le16(b, at + 2);
        gsoSize = le16(b, at + 4);
        csumStart = le16(b, at + 6);
        csumOffset = le16(b, at + 8);
        return this;
    }

    /** Writes the header at absolute index {@code at}. */
    void encode(ByteBuffer b, int at) {
        b.put(at, (byte) flags);
        b.put(at + 1, (byte) gsoType);
        putLe16(b, at + 2, hdrLen);
        putLe16(b, at + 4, gsoSize);
        putLe16(b, at + 6, csumStart);
        putLe16(b, at + 8, csumOffset);
    }

    /** A header that says nothing: a whole packet with its checksums complete. */
    VirtioNetHdr none() {
        flags = 0;
        gsoType = GSO_NONE;
        hdrLen = 0;
        gsoSize = 0;
        csumStart = 0;
        csumOffset = 0;
        return this;
    }

    /** gso_type without the ECN bit. */
    int gsoKind() {
        return gsoType & ~GSO_ECN;
    }

    private static int le16(ByteBuffer b, int i) {
        return (b.get(i) & 0xff) | (b.get(i + 1) & 0xff) << 8;
    }

    private static void putLe16(ByteBuffer b, int i, int v) {
        b.put(i, (byte) v);
        b.put(i + 1, (byte) (v >>> 8));
    }

    @Override
    public String toString() {
        return "virtio_net_hdr[flags " + flags + ", gso_type " + gsoType + ", hdr_len " + hdrLen + ", gso_size "
                + gsoSize + ", csum_start " + csumStart + ", csum_offset " + csumOffset + "]";
    }
}
