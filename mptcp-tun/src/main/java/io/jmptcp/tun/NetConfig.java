package io.jmptcp.tun;

import java.io.IOException;

/**
 * The interface configuration the TUN device needs from the host: MTU, link up, addresses on the
 * device (the kernel's own side, optional) and host routes into it (one per stack address).
 * Each method that adds something has its removal; {@link TunPacketIo} keeps an undo list.
 * Implementations: {@link NetlinkNetConfig} (rtnetlink, the default) and
 * {@link IpCommandNetConfig} (runs ip(8)).
 * Addresses are written as text ({@code 10.3.1.1}, {@code fd00::1}; with {@code /LEN} for
 * device addresses) and passed to the implementation unparsed.
 */
public interface NetConfig extends AutoCloseable {

    void setMtu(String dev, int mtu) throws IOException;

    void setUp(String dev) throws IOException;

    /**
     * Adds {@code cidr} (e.g. {@code 10.77.0.1/32}) to {@code dev}.
     *
     * @throws TunException "address already in use" when the address exists in this namespace
     */
    void addAddress(String dev, String cidr) throws IOException;

    void removeAddress(String dev, String cidr) throws IOException;

    /**
     * Routes {@code address} (a single host: /32 or /128) into {@code dev}.
     *
     * @throws TunException "address already in use" when a route to it exists already
     */
    void addHostRoute(String dev, String address) throws IOException;

    void removeHostRoute(String dev, String address) throws IOException;

    /** Whether a network device of that name exists. */
    boolean linkExists(String dev) throws IOException;

    /** Releases what the implementation holds (a netlink socket); nothing by default. */
    @Override
    default void close() {
    }
}
