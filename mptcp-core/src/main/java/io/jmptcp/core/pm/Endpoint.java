package io.jmptcp.core.pm;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A local address of the stack and what the path manager does with it, like an endpoint of
 * Linux's {@code ip mptcp endpoint} (pm_netlink.c): {@link #SIGNAL} announces it with ADD_ADDR,
 * {@link #SUBFLOW} opens a subflow from it to the peer, {@link #BACKUP} marks its subflows backup
 * (B flag on the join, MP_PRIO on a change), {@link #FULLMESH} opens a subflow from it to every
 * address the peer announced. The flag values are the kernel's ({@code MPTCP_PM_ADDR_FLAG_*}).
 *
 * <p>The id is the address id on the wire (RFC 8684 section 3.4.1), unique in the stack and never
 * 0: id 0 is, on each connection, the local address of its initial subflow.
 *
 * @param address the stack's own address
 * @param id      1..255
 * @param flags   a combination of the flag constants
 */
public record Endpoint(InetAddress address, int id, int flags) {
    public static final int SIGNAL = 1;
    public static final int SUBFLOW = 2;
    public static final int BACKUP = 4;
    public static final int FULLMESH = 8;
    private static final String[] NAMES = {"signal", "subflow", "backup", "fullmesh"};

    public Endpoint {
        if (id < 1 || id > 255) {
            throw new IllegalArgumentException("endpoint id must be 1..255, got " + id);
        }
        if ((flags & ~(SIGNAL | SUBFLOW | BACKUP | FULLMESH)) != 0) {
            throw new IllegalArgumentException("unknown endpoint flags 0x" + Integer.toHexString(flags));
        }
        if ((flags & FULLMESH) != 0 && (flags & SIGNAL) != 0) {
            throw new IllegalArgumentException("fullmesh and signal exclude each other (as in Linux)");
        }
    }

    public boolean signal() {
        return (flags & SIGNAL) != 0;
    }

    public boolean subflow() {
        return (flags & SUBFLOW) != 0;
    }

    public boolean backup() {
        return (flags & BACKUP) != 0;
    }

    public boolean fullmesh() {
        return (flags & FULLMESH) != 0;
    }

    public boolean ipv4() {
        return address instanceof Inet4Address;
    }

    public Endpoint withFlags(int newFlags) {
        return new Endpoint(address, id, newFlags);
    }

    /**
     * Parses a comma list of flag names ({@code signal,subflow,backup,fullmesh}; empty for none).
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static int parseFlags(String list) {
        int f = 0;
        if (list == null || list.isBlank()) {
            return 0;
        }
        outer:
        for (String part : list.split(",")) {
            String p = part.trim();
            for (int i = 0; i < NAMES.length; i++) {
                if (NAMES[i].equals(p)) {
                    f |= 1 << i;
                    continue outer;
                }
            }
            throw new IllegalArgumentException("unknown endpoint flag '" + p + "' (signal, subflow, backup, fullmesh)");
        }
        return f;
    }

    /** The flags as the comma list {@link #parseFlags} reads. */
    public static String flagNames(int flags) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            if ((flags & (1 << i)) != 0) {
                out.add(NAMES[i]);
            }
        }
        return String.join(",", out);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + " id " + id + (flags == 0 ? "" : " " + flagNames(flags));
    }
}
