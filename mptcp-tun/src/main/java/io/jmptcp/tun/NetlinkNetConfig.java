package io.jmptcp.tun;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * {@link NetConfig} over rtnetlink (rtnetlink(7), netlink(7)) through jnr-ffi: one NETLINK_ROUTE
 * socket, requests with NLM_F_ACK, and the kernel's NLMSG_ERROR answer read back, so failures
 * carry the kernel's own errno (EEXIST, EPERM, ENODEV...). No process is started.
 *
 * <p>The socket belongs to the namespace it was created in ({@link #open(String)} creates it in
 * the named one), so every request acts on that namespace. Not thread-safe.
 */
public final class NetlinkNetConfig implements NetConfig {
    // linux/netlink.h
    private static final int NLMSG_HDRLEN = 16;
    private static final short NLMSG_ERROR = 2;
    private static final short NLMSG_DONE = 3;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short NLM_F_ACK = 0x4;
    private static final short NLM_F_DUMP = 0x300;
    private static final short NLM_F_EXCL = 0x200;
    private static final short NLM_F_CREATE = 0x400;
    // linux/rtnetlink.h
    private static final short RTM_NEWLINK = 16;
    private static final short RTM_GETLINK = 18;
    private static final short RTM_NEWADDR = 20;
    private static final short RTM_DELADDR = 21;
    private static final short RTM_GETADDR = 22;
    private static final short RTM_NEWROUTE = 24;
    private static final short RTM_DELROUTE = 25;
    private static final byte RT_TABLE_MAIN = (byte) 254;
    private static final byte RTPROT_BOOT = 3;
    private static final byte RT_SCOPE_UNIVERSE = 0;
    private static final byte RT_SCOPE_LINK = (byte) 253;
    private static final byte RT_SCOPE_NOWHERE = (byte) 255;
    private static final byte RTN_UNICAST = 1;
    private static final short RTA_DST = 1;
    private static final short RTA_OIF = 4;
    // linux/if_link.h, linux/if_addr.h, linux/if.h
    private static final short IFLA_IFNAME = 3;
    private static final short IFLA_MTU = 4;
    private static final short IFA_ADDRESS = 1;
    private static final short IFA_LOCAL = 2;
    private static final int IFF_UP = 0x1;
    private static final byte AF_INET = 2;
    private static final byte AF_INET6 = 10;

    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    private final LibC libc = LibC.libc();
    private final int fd;
    private final ByteBuffer out = ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder());
    private final ByteBuffer in = ByteBuffer.allocateDirect(65536).order(ByteOrder.nativeOrder());
    private int sequence;
    private boolean closed;

    private NetlinkNetConfig(int fd) {
        this.fd = fd;
    }

    /** A netlink socket in the named namespace, or in the current one when {@code netns} is null. */
    public static NetlinkNetConfig open(String netns) throws IOException {
        int fd = netns == null ? socket() : Netns.call(netns, NetlinkNetConfig::socket);
        return new NetlinkNetConfig(fd);
    }

    private static int socket() throws IOException {
        int fd = LibC.libc().socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
        if (fd < 0) {
            int errno = LibC.errno();
            throw new TunException("cannot open an rtnetlink socket [" + LibC.describe(errno) + "]", errno);
        }
        return fd;
    }

    @Override
    public void setMtu(String dev, int mtu) throws IOException {
        int index = index(dev);
        begin(RTM_NEWLINK, NLM_F_ACK);
        linkHeader(index, 0, 0);
        attrInt(IFLA_MTU, mtu);
        check(request(), "set the MTU of " + dev + " to " + mtu);
    }

    @Override
    public void setUp(String dev) throws IOException {
        int index = index(dev);
        begin(RTM_NEWLINK, NLM_F_ACK);
        linkHeader(index, IFF_UP, IFF_UP);
        check(request(), "bring " + dev + " up");
    }

    @Override
    public void addAddress(String dev, String cidr) throws IOException {
        Prefix p = Prefix.parse(cidr);
        // Linux accepts the same address on two devices; only the same device gives EEXIST.
        // Both mean the address is taken, so look first.
        String owner = localOwner(p.address);
        if (owner != null) {
            throw new TunException("address " + p.address.getHostAddress() + " is already in use in this "
                    + "namespace (on device " + owner + "); choose another address or remove it first", LibC.EEXIST);
        }
        int index = index(dev);
        begin(RTM_NEWADDR, (short) (NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
        addressBody(p, index);
        int err = request();
        if (err == LibC.EEXIST) {
            throw new TunException("address " + cidr + " is already in use on " + dev, err);
        }
        check(err, "add address " + cidr + " to " + dev);
    }

    @Override
    public void removeAddress(String dev, String cidr) throws IOException {
        Prefix p = Prefix.parse(cidr);
        int index = index(dev);
        begin(RTM_DELADDR, NLM_F_ACK);
        addressBody(p, index);
        check(request(), "remove address " + cidr + " from " + dev);
    }

    @Override
    public void addHostRoute(String dev, String address) throws IOException {
        InetAddress a = parse(address);
        // A local address would be delivered to the kernel itself (local table, RFC 1122
        // section 3.3.4 weak host model), never routed into the device.
        String owner = localOwner(a);
        if (owner != null) {
            throw new TunException("address " + address + " is already in use: it is a local address "
                    + "of the kernel (on device " + owner + "), so the stack cannot own it", LibC.EEXIST);
        }
        int index = index(dev);
        begin(RTM_NEWROUTE, (short) (NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
        // As ip-route(8) does: a route without gateway has link scope (IPv4), universe (IPv6).
        routeBody(a, index, a instanceof Inet6Address ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
        int err = request();
        if (err == LibC.EEXIST) {
            throw new TunException("address " + address + " is already in use: a route to it exists; "
                    + "is another stack or device using it? (see: ip route get " + address + ")", err);
        }
        check(err, "add a host route to " + address + " via " + dev);
    }

    @Override
    public void removeHostRoute(String dev, String address) throws IOException {
        InetAddress a = parse(address);
        int index = index(dev);
        begin(RTM_DELROUTE, NLM_F_ACK);
        // RT_SCOPE_NOWHERE on delete matches a route of any scope.
        routeBody(a, index, RT_SCOPE_NOWHERE);
        check(request(), "remove the route to " + address);
    }

    @Override
    public boolean linkExists(String dev) throws IOException {
        return findIndex(dev) > 0;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
        }
    }

    // ---- messages ----

    private record Prefix(InetAddress address, int length) {
        static Prefix parse(String cidr) throws TunException {
            int slash = cidr.indexOf('/');
            InetAddress a = NetlinkNetConfig.parse(slash < 0 ? cidr : cidr.substring(0, slash));
            int max = a.getAddress().length * 8;
            int len = max;
            if (slash >= 0) {
                try {
                    len = Integer.parseInt(cidr.substring(slash + 1));
                } catch (NumberFormatException e) {
                    len = -1;
                }
            }
            if (len < 0 || len > max) {
                throw new TunException("bad prefix length in '" + cidr + "'", LibC.EINVAL);
            }
            return new Prefix(a, len);
        }
    }

    /** Parses an IPv4 or IPv6 literal (never a host name: no DNS). */
    static InetAddress parse(String literal) throws TunException {
        boolean looksNumeric = literal.matches("[0-9.]+") || literal.contains(":");
        if (!looksNumeric) {
            throw new TunException("not an IP address: '" + literal + "'", LibC.EINVAL);
        }
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new TunException("not an IP address: '" + literal + "'", LibC.EINVAL);
        }
    }

    private static byte family(InetAddress a) {
        return a instanceof Inet6Address ? AF_INET6 : AF_INET;
    }

    /** Starts a message: the nlmsghdr, its length filled in by {@link #request()}. */
    private void begin(short type, short flags) {
        out.clear();
        out.putInt(0).putShort(type).putShort((short) (NLM_F_REQUEST | flags)).putInt(++sequence).putInt(0);
    }

    /** struct ifinfomsg { u8 family, pad; u16 type; s32 index; u32 flags, change; }. */
    private void linkHeader(int index, int flags, int change) {
        out.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(index).putInt(flags).putInt(change);
    }

    /** struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index; } + IFA_LOCAL, IFA_ADDRESS. */
    private void addressBody(Prefix p, int index) {
        out.put(family(p.address)).put((byte) p.length).put((byte) 0).put(RT_SCOPE_UNIVERSE).putInt(index);
        attrBytes(IFA_LOCAL, p.address.getAddress());
        attrBytes(IFA_ADDRESS, p.address.getAddress());
    }

    /** struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }. */
    private void routeBody(InetAddress a, int index, byte scope) {
        byte[] bytes = a.getAddress();
        out.put(family(a)).put((byte) (bytes.length * 8)).put((byte) 0).put((byte) 0)
                .put(RT_TABLE_MAIN).put(RTPROT_BOOT).put(scope).put(RTN_UNICAST).putInt(0);
        attrBytes(RTA_DST, bytes);
        attrInt(RTA_OIF, index);
    }

    /** struct rtattr { u16 len; u16 type; } + data, padded to 4 bytes (RTA_ALIGN). */
    private void attrBytes(short type, byte[] data) {
        out.putShort((short) (4 + data.length)).putShort(type).put(data);
        while ((out.position() & 3) != 0) {
            out.put((byte) 0);
        }
    }

    private void attrInt(short type, int value) {
        out.putShort((short) 8).putShort(type).putInt(value);
    }

    private void attrString(short type, String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] z = java.util.Arrays.copyOf(b, b.length + 1);
        attrBytes(type, z);
    }

    private void send() throws IOException {
        if (closed) {
            throw new IOException("netlink socket is closed");
        }
        out.putInt(0, out.position());
        long n = libc.write(fd, MEMORY.getDirectBufferAddress(out), out.position());
        if (n != out.position()) {
            int errno = LibC.errno();
            throw new TunException("rtnetlink send failed [" + LibC.describe(errno) + "]", errno);
        }
    }

    /** Reads one datagram (one or more netlink messages) into {@link #in}, flipped. */
    private void receive() throws IOException {
        in.clear();
        long n;
        do {
            n = libc.read(fd, MEMORY.getDirectBufferAddress(in), in.capacity());
        } while (n < 0 && LibC.errno() == LibC.EINTR);
        if (n < 0) {
            int errno = LibC.errno();
            throw new TunException("rtnetlink receive failed [" + LibC.describe(errno) + "]", errno);
        }
        in.limit((int) n);
    }

    /** Sends the message and waits for its acknowledgement: 0, or the positive errno. */
    private int request() throws IOException {
        return exchange((type, at, len) -> type == NLMSG_ERROR ? -in.getInt(at + NLMSG_HDRLEN) : null);
    }

    /** What to make of one answer to our message: a result, or null to keep reading. */
    @FunctionalInterface
    private interface Reply<T> {
        T on(short type, int at, int len) throws IOException;
    }

    /**
     * Sends the message and walks the answers that carry its sequence number until {@code reply}
     * returns a result (netlink(7): several messages per datagram, 4-byte aligned).
     */
    private <T> T exchange(Reply<T> reply) throws IOException {
        send();
        int seq = sequence;
        while (true) {
            receive();
            int at = 0;
            while (at + NLMSG_HDRLEN <= in.limit()) {
                int len = in.getInt(at);
                if (len < NLMSG_HDRLEN) {
                    throw new IOException("malformed rtnetlink answer");
                }
                if (in.getInt(at + 8) == seq) {
                    T result = reply.on(in.getShort(at + 4), at, len);
                    if (result != null) {
                        return result;
                    }
                }
                at += (len + 3) & ~3;
            }
        }
    }

    private static void check(int errno, String what) throws TunException {
        if (errno == LibC.EPERM || errno == LibC.EACCES) {
            throw new TunException("cannot " + what + ": need root or CAP_NET_ADMIN [" + LibC.describe(errno) + "]", errno);
        }
        if (errno != 0) {
            throw new TunException("cannot " + what + " [" + LibC.describe(errno) + "]", errno);
        }
    }

    // ---- look-ups ----

    private int index(String dev) throws IOException {
        int index = findIndex(dev);
        if (index <= 0) {
            throw new TunException("no network device '" + dev + "'", LibC.ENODEV);
        }
        return index;
    }

    /** RTM_GETLINK by name: the interface index, or 0 if there is no such device. */
    private int findIndex(String dev) throws IOException {
        begin(RTM_GETLINK, (short) 0);
        linkHeader(0, 0, 0);
        attrString(IFLA_IFNAME, dev);
        return exchange((type, at, len) -> {
            if (type == NLMSG_ERROR) {
                int errno = -in.getInt(at + NLMSG_HDRLEN);
                if (errno != LibC.ENODEV) {
                    check(errno, "look up device " + dev);
                }
                return 0;
            }
            return type == RTM_NEWLINK ? in.getInt(at + NLMSG_HDRLEN + 4) : null;
        });
    }

    /** RTM_GETLINK by index: the device name, or "#index" if it has none. */
    private String linkName(int index) throws IOException {
        begin(RTM_GETLINK, (short) 0);
        linkHeader(index, 0, 0);
        return exchange((type, at, len) -> {
            if (type == RTM_NEWLINK) {
                int attr = at + NLMSG_HDRLEN + 16;
                while (attr + 4 <= at + len) {
                    int alen = in.getShort(attr) & 0xffff;
                    if (alen < 4) {
                        break;
                    }
                    if (in.getShort(attr + 2) == IFLA_IFNAME) {
                        byte[] b = new byte[alen - 4];
                        in.get(attr + 4, b);
                        int end = 0;
                        while (end < b.length && b[end] != 0) {
                            end++;
                        }
                        return new String(b, 0, end, java.nio.charset.StandardCharsets.US_ASCII);
                    }
                    attr += (alen + 3) & ~3;
                }
            }
            return "#" + index;
        });
    }

    /** RTM_GETADDR dump: the device holding {@code address} as a local address, or null. */
    private String localOwner(InetAddress address) throws IOException {
        byte[] want = address.getAddress();
        begin(RTM_GETADDR, NLM_F_DUMP);
        out.put(family(address)).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0);
        int[] found = {0};
        Optional<String> owner = exchange((type, at, len) -> {
            if (type == NLMSG_DONE) {
                return Optional.ofNullable(found[0] == 0 ? null : linkName(found[0]));
            }
            if (type == NLMSG_ERROR) {
                check(-in.getInt(at + NLMSG_HDRLEN), "list addresses");
            }
            if (type == RTM_NEWADDR && found[0] == 0 && matches(at, len, want)) {
                found[0] = in.getInt(at + NLMSG_HDRLEN + 4);
            }
            return null;
        });
        return owner.orElse(null);
    }

    /**
     * Whether the RTM_NEWADDR message at {@code at} has {@code want} as its local address:
     * IFA_LOCAL when present (for a point-to-point address IFA_ADDRESS is the peer), else
     * IFA_ADDRESS (IPv6 usually sends only that).
     */
    private boolean matches(int at, int len, byte[] want) {
        int local = -1;
        int address = -1;
        int attr = at + NLMSG_HDRLEN + 8;
        while (attr + 4 <= at + len) {
            int alen = in.getShort(attr) & 0xffff;
            if (alen < 4) {
                break;
            }
            short type = in.getShort(attr + 2);
            if (alen - 4 == want.length) {
                if (type == IFA_LOCAL) {
                    local = attr + 4;
                } else if (type == IFA_ADDRESS) {
                    address = attr + 4;
                }
            }
            attr += (alen + 3) & ~3;
        }
        int data = local >= 0 ? local : address;
        if (data < 0) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            if (in.get(data + i) != want[i]) {
                return false;
            }
        }
        return true;
    }
}
