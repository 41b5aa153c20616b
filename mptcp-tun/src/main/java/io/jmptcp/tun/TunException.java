package io.jmptcp.tun;

import java.io.IOException;

/**
 * A TUN device or its configuration could not be set up. The message says what is wrong and what
 * to do; {@link #errno()} is the system error behind it (0 when there is none).
 */
public final class TunException extends IOException {
    private final int errno;

    public TunException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    /** open("/dev/net/tun") failed: see open(2). */
    static TunException forOpen(int errno) {
        String what = switch (errno) {
            case LibC.ENOENT, LibC.ENODEV -> "no /dev/net/tun on this machine: load the tun module "
                    + "(modprobe tun) or, in a container, pass the device through";
            case LibC.EPERM, LibC.EACCES -> "cannot open /dev/net/tun: need root or CAP_NET_ADMIN";
            default -> "cannot open /dev/net/tun";
        };
        return new TunException(what + " [" + LibC.describe(errno) + "]", errno);
    }

    /**
     * ioctl(TUNSETIFF) failed. The kernel's tun_set_iff() (drivers/net/tun.c) returns EPERM without
     * CAP_NET_ADMIN, EINVAL when a device of that name exists but is not a TUN device of the
     * same kind (a TAP, a veth, a multi-queue TUN), and EBUSY when another file already has the
     * single-queue device attached.
     */
    static TunException forSetIff(String name, int errno) {
        String what = switch (errno) {
            case LibC.EPERM, LibC.EACCES -> "cannot create TUN device '" + name
                    + "': need root or CAP_NET_ADMIN";
            case LibC.EBUSY -> "TUN device '" + name + "' is busy: another process has it open "
                    + "(stop it, or choose another device name)";
            case LibC.EINVAL -> "device '" + name + "' exists with other flags: it is not a "
                    + "single-queue TUN device (a TAP, a veth, or multi-queue?); delete it "
                    + "(ip link del " + name + ") or choose another device name";
            default -> "cannot attach TUN device '" + name + "'";
        };
        return new TunException(what + " [" + LibC.describe(errno) + "]", errno);
    }
}
