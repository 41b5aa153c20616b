package io.jmptcp.tun.pcap;

/**
 * Finds the IP packet inside a captured frame, by link type (the tcpdump.org LINKTYPE_* registry).
 * Never throws: a frame that is too short or carries something else is a {@link PcapFrame.NotIp}.
 */
public final class PcapLinkReader {
    /** IEEE 802.3 Ethernet; 802.1Q / 802.1ad VLAN tags are skipped. */
    public static final int LINKTYPE_ETHERNET = 1;
    /** Raw IP; the version nibble says IPv4 or IPv6. */
    public static final int LINKTYPE_RAW = 101;
    /** Linux "cooked" capture v1 (tcpdump -i any on older libpcap), 16-byte header. */
    public static final int LINKTYPE_LINUX_SLL = 113;
    /** Raw IPv4. */
    public static final int LINKTYPE_IPV4 = 228;
    /** Raw IPv6. */
    public static final int LINKTYPE_IPV6 = 229;
    /** Linux "cooked" capture v2 (tcpdump -i any on libpcap 1.10+), 20-byte header. */
    public static final int LINKTYPE_LINUX_SLL2 = 276;

    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86DD;
    static final int ETHERTYPE_VLAN = 0x8100;
    static final int ETHERTYPE_QINQ = 0x88A8;
    static final int ETHERTYPE_QINQ_OLD = 0x9100;

    private static final int ETHERNET_HEADER = 14;
    private static final int SLL_HEADER = 16;
    private static final int SLL2_HEADER = 20;
    private static final int VLAN_TAG = 4;

    private PcapLinkReader() {
    }

    /** Where the IP packet of a frame of link type {@code linkType} starts, or why there is none. */
    public static PcapFrame.Network locate(int linkType, byte[] frame) {
        return switch (linkType) {
            case LINKTYPE_ETHERNET -> frame.length < ETHERNET_HEADER
                    ? notIp("Ethernet header cut short (" + frame.length + " bytes)")
                    : afterEtherType(frame, 12, "Ethernet");
            case LINKTYPE_LINUX_SLL -> frame.length < SLL_HEADER
                    ? notIp("Linux cooked (SLL) header cut short (" + frame.length + " bytes)")
                    : afterEtherType(frame, 14, "SLL");
            case LINKTYPE_LINUX_SLL2 -> frame.length < SLL2_HEADER
                    ? notIp("Linux cooked (SLL2) header cut short (" + frame.length + " bytes)")
                    : ipWithEtherType(frame, SLL2_HEADER, u16(frame, 0), "SLL2");
            case LINKTYPE_RAW -> rawIp(frame, 0, 0);
            case LINKTYPE_IPV4 -> rawIp(frame, 0, 4);
            case LINKTYPE_IPV6 -> rawIp(frame, 0, 6);
            default -> notIp("unsupported link type " + linkType);
        };
    }

    /**
     * Reads the EtherType at {@code typeOffset}, skipping VLAN tags (each pushes the real EtherType
     * four bytes further), and checks the IP version nibble against it.
     */
    private static PcapFrame.Network afterEtherType(byte[] frame, int typeOffset, String link) {
        int p = typeOffset;
        int type = u16(frame, p);
        while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
            p += VLAN_TAG;
            if (p + 2 > frame.length) {
                return notIp(link + " VLAN tag cut short");
            }
            type = u16(frame, p);
        }
        return ipWithEtherType(frame, p + 2, type, link);
    }

    private static PcapFrame.Network ipWithEtherType(byte[] frame, int offset, int etherType,
                                                     String link) {
        return switch (etherType) {
            case ETHERTYPE_IPV4 -> rawIp(frame, offset, 4);
            case ETHERTYPE_IPV6 -> rawIp(frame, offset, 6);
            default -> notIp(String.format("%s protocol 0x%04x is not IP", link, etherType));
        };
    }

    /** An IP packet at {@code offset}; {@code expected} is 4, 6, or 0 to accept either. */
    private static PcapFrame.Network rawIp(byte[] frame, int offset, int expected) {
        if (offset >= frame.length) {
            return notIp("no bytes after the link-layer header");
        }
        int version = (frame[offset] & 0xF0) >>> 4;
        if (version != 4 && version != 6) {
            return notIp("IP version nibble is " + version);
        }
        if (expected != 0 && version != expected) {
            return notIp("link layer says IPv" + expected + " but the version nibble is " + version);
        }
        return new PcapFrame.Ip(offset, version);
    }

    private static PcapFrame.NotIp notIp(String reason) {
        return new PcapFrame.NotIp(reason);
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }
}
