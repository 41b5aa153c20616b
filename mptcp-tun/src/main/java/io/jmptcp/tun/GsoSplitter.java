package io.jmptcp.tun;

import static io.jmptcp.tun.IpTcp.TCP_CHECKSUM;
import static io.jmptcp.tun.IpTcp.TCP_CWR;
import static io.jmptcp.tun.IpTcp.TCP_FIN;
import static io.jmptcp.tun.IpTcp.TCP_FLAGS;
import static io.jmptcp.tun.IpTcp.TCP_PSH;

import io.jmptcp.core.wire.Checksum;
import java.nio.ByteBuffer;

/**
 * Turns a packet read from a TUN device with offloads into whole IP packets with complete
 * checksums, as the stack expects: software GSO for the receive side.
 *
 * <ul>
 *   <li>A TCP super-packet (gso_type TCPV4/TCPV6) is cut into pieces of gso_size payload bytes
 *       the way the kernel's tcp_gso_segment does: every piece gets the whole TCP header, options
 *       included, the sequence number advanced, FIN and PSH only on the last piece, CWR only on the
 *       first; IPv4 total length and identification (id + i), IPv6 payload length; both checksums
 *       computed. The header length is csum_start plus the TCP data offset: hdr_len is not trusted
 *       (on the forwarding path it may be an estimate).</li>
 *   <li>A packet with NEEDS_CSUM and no GSO gets the checksum completed (the field holds the
 *       pseudo-header sum, the device sums from csum_start to the end).</li>
 *   <li>Anything else passes unchanged.</li>
 * </ul>
 *
 * <p>Stateful, so that a super-packet can be handed out over several receive batches: {@link #begin}
 * then {@link #next} until {@link #hasNext()} is false. The source bytes are not modified. Reused
 * for every packet; allocates nothing.
 */
final class GsoSplitter {
    private enum Mode { PASS, CSUM, SPLIT }

    private ByteBuffer src;
    private int ip;
    private int total;
    private Mode mode;
    private int ipHdr;
    private int tcpOff;
    private int hdrLen;
    private int gsoSize;
    private int payload;
    private int pieces;
    private int piece;
    private int csumStart;
    private int csumOffset;
    private long malformed;

    /**
     * Starts on the packet of {@code length} bytes at absolute index {@code at} of {@code src}
     * (after its virtio header {@code hdr}).
     *
     * @return the number of packets it yields; 0 when it is malformed (then dropped and counted)
     */
    int begin(ByteBuffer src, int at, int length, VirtioNetHdr hdr) {
        this.src = src;
        this.ip = at;
        this.total = length;
        this.piece = 0;
        this.pieces = 0;
        int kind = hdr.gsoKind();
        if (kind == VirtioNetHdr.GSO_NONE) {
            if ((hdr.flags & VirtioNetHdr.F_NEEDS_CSUM) != 0) {
                if (hdr.csumStart + hdr.csumOffset + 2 > length) {
                    return drop();
                }
                mode = Mode.CSUM;
                csumStart = hdr.csumStart;
                csumOffset = hdr.csumOffset;
            } else {
                mode = Mode.PASS;
            }
            pieces = 1;
            return 1;
        }
        if (kind != VirtioNetHdr.GSO_TCPV4 && kind != VirtioNetHdr.GSO_TCPV6) {
            return drop();
        }
        ipHdr = IpTcp.ipHeaderLength(src, at, length);
        if (ipHdr < 0 || IpTcp.isIpv4(src, at) != (kind == VirtioNetHdr.GSO_TCPV4)) {
            return drop();
        }
        int ipTotal = IpTcp.isIpv4(src, at) ? IpTcp.u16(src, at + 2) : IpTcp.IPV6_HEADER + IpTcp.u16(src, at + 4);
        if (ipTotal > length) {
            return drop();
        }
        total = ipTotal;
        tcpOff = (hdr.flags & VirtioNetHdr.F_NEEDS_CSUM) != 0 ? hdr.csumStart : ipHdr;
        if (tcpOff < ipHdr || tcpOff + 20 > total) {
            return drop();
        }
        int doff = (IpTcp.u8(src, at + tcpOff + 12) >>> 4) * 4;
        hdrLen = tcpOff + doff;
        if (doff < 20 || hdrLen > total || hdr.gsoSize == 0) {
            return drop();
        }
        gsoSize = hdr.gsoSize;
        payload = total - hdrLen;
        pieces = payload <= gsoSize ? 1 : (payload + gsoSize - 1) / gsoSize;
        mode = Mode.SPLIT;
        return pieces;
    }

    private int drop() {
        malformed++;
        pieces = 0;
        return 0;
    }

    boolean hasNext() {
        return piece < pieces;
    }

    /**
     * Writes the next packet into {@code dst} from index 0 and sets position 0, limit its length.
     *
     * @return its length, or -1 when it does not fit in {@code dst} (it is skipped and counted)
     */
    int next(ByteBuffer dst) {
        int i = piece++;
        dst.clear();
        if (mode != Mode.SPLIT) {
            if (total > dst.capacity()) {
                malformed++;
                return -1;
            }
            dst.put(0, src, ip, total);
            if (mode == Mode.CSUM) {
                int field = csumStart + csumOffset;
                // The field holds the pseudo-header sum; the sum from csum_start to the end, field
                // included, is then the full one.
                int sum = Checksum.add(0, dst, csumStart, total - csumStart);
                IpTcp.put16(dst, field, Checksum.finish(sum));
            }
            dst.limit(total);
            return total;
        }
        int chunk = Math.min(gsoSize, payload - i * gsoSize);
        int len = hdrLen + chunk;
        if (len > dst.capacity()) {
            malformed++;
            return -1;
        }
        dst.put(0, src, ip, hdrLen);
        dst.put(hdrLen, src, ip + hdrLen + i * gsoSize, chunk);
        int tcp = tcpOff;
        IpTcp.put32(dst, tcp + 4, IpTcp.i32(dst, tcp + 4) + i * gsoSize);
        int flags = IpTcp.u8(dst, tcp + TCP_FLAGS);
        if (i < pieces - 1) {
            flags &= ~(TCP_FIN | TCP_PSH);
        }
        if (i > 0) {
            flags &= ~TCP_CWR;
        }
        dst.put(tcp + TCP_FLAGS, (byte) flags);
        if (IpTcp.isIpv4(dst, 0)) {
            IpTcp.put16(dst, 4, IpTcp.u16(dst, 4) + i);
        }
        IpTcp.setIpLength(dst, 0, ipHdr, len);
        IpTcp.put16(dst, tcp + TCP_CHECKSUM, 0);
        IpTcp.fillTcpChecksum(dst, 0, tcp, len - tcp);
        dst.limit(len);
        return len;
    }

    /** Packets dropped as malformed or too large for the receiving buffer. */
    long malformed() {
        return malformed;
    }
}
