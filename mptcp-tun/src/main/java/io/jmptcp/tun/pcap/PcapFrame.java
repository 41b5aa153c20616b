package io.jmptcp.tun.pcap;

import java.util.Arrays;

/**
 * One packet read from a capture file.
 *
 * @param index          1-based packet number in the file (packet blocks only, as tshark counts)
 * @param timestampNanos capture time in nanoseconds since the Unix epoch
 * @param interfaceId    pcapng interface the packet was captured on (0 for classic pcap)
 * @param linkType       the LINKTYPE_* value of the frame's interface (1 Ethernet, 101 raw IP, ...)
 * @param data           the captured bytes, link-layer header included
 * @param originalLength the packet's length on the wire; larger than {@code data.length} when the
 *                       capture was cut at the snapshot length
 * @param network        where the IP packet starts in {@code data}, or why there is none
 */
public record PcapFrame(int index, long timestampNanos, int interfaceId, int linkType, byte[] data,
                        int originalLength, Network network) {

    /** What the link layer carries: an IP packet at an offset, or something else. */
    public sealed interface Network permits Ip, NotIp {
    }

    /** An IP packet of the given version (4 or 6) starts at {@code offset} in the frame. */
    public record Ip(int offset, int version) implements Network {
    }

    /** The frame carries no IP packet we can find; {@code reason} says why (for a summary). */
    public record NotIp(String reason) implements Network {
    }

    public PcapFrame {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Offset of the IP header in {@link #data()}, or -1 when the frame carries no IP packet. */
    public int ipOffset() {
        return network instanceof Ip ip ? ip.offset() : -1;
    }

    /** The IP packet (from the IP header to the end of the captured bytes), or an empty array. */
    public byte[] ipPacket() {
        int off = ipOffset();
        return off < 0 ? new byte[0] : Arrays.copyOfRange(data, off, data.length);
    }

    /** Whether the capture kept fewer bytes than the packet had on the wire. */
    public boolean truncated() {
        return data.length < originalLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PcapFrame f && f.index == index && f.timestampNanos == timestampNanos
                && f.interfaceId == interfaceId && f.linkType == linkType
                && f.originalLength == originalLength && Arrays.equals(f.data, data)
                && f.network.equals(network);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * index + Long.hashCode(timestampNanos)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "PcapFrame[index=" + index + ", ts=" + timestampNanos + ", if=" + interfaceId
                + ", linkType=" + linkType + ", caplen=" + data.length + ", len=" + originalLength
                + ", network=" + network + "]";
    }
}
