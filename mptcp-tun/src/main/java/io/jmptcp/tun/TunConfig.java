package io.jmptcp.tun;

import java.util.List;

/**
 * How to set up a TUN device for the stack.
 *
 * @param name            device name (created if absent), at most 15 characters
 * @param mtu             device MTU in bytes
 * @param stackAddresses  addresses the userspace stack owns; the kernel gets a host route to each
 *                        through the device (it does not own them: they are not added as local
 *                        addresses, so the kernel forwards their traffic into the device)
 * @param deviceAddresses addresses with prefix length for the kernel's side of the device
 *                        (e.g. {@code 10.77.0.1/32}); usually empty
 * @param netns           a named network namespace to create the device in, or null for the
 *                        current one
 * @param offload         open the device with a virtio header and TSO/checksum offloads: reads
 *                        split the kernel's super-packets, writes join a round's segments into
 *                        super-segments (false: one packet per read and write)
 */
public record TunConfig(String name, int mtu, List<String> stackAddresses, List<String> deviceAddresses,
        String netns, boolean offload) {
    public TunConfig {
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("MTU must be within 68..65535 (RFC 791 minimum), got " + mtu);
        }
        stackAddresses = List.copyOf(stackAddresses);
        deviceAddresses = List.copyOf(deviceAddresses);
    }

    /**
     * Offloads off: one packet per read and write, so {@link TunPacketIo#device()} can be used
     * raw (the benchmarks and device tests do). The stack's CLI turns them on ({@link #withOffload}).
     */
    public TunConfig(String name, int mtu, List<String> stackAddresses, List<String> deviceAddresses, String netns) {
        this(name, mtu, stackAddresses, deviceAddresses, netns, false);
    }

    /** This configuration with offloads on or off. */
    public TunConfig withOffload(boolean on) {
        return new TunConfig(name, mtu, stackAddresses, deviceAddresses, netns, on);
    }

    /** A device in the current namespace with host routes to the stack's addresses; offloads off. */
    public static TunConfig of(String name, int mtu, List<String> stackAddresses) {
        return new TunConfig(name, mtu, stackAddresses, List.of(), null);
    }
}
