package io.jmptcp.tun;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * The few libc calls the TUN device needs, bound with jnr-ffi. Memory is passed as raw addresses
 * ({@code long}) of direct buffers allocated once, so a call creates no Java objects. Constants are
 * the Linux x86_64/arm64 values from the kernel's uapi headers. Public only because jnr-ffi
 * generates its implementation in another class loader; not an API.
 */
public interface LibC {
    int O_RDWR = 02;
    int O_NONBLOCK = 04000;
    int O_CLOEXEC = 02000000;
    /** eventfd(2): EFD_NONBLOCK equals O_NONBLOCK, EFD_CLOEXEC equals O_CLOEXEC. */
    int EFD_NONBLOCK = O_NONBLOCK;
    int EFD_CLOEXEC = O_CLOEXEC;
    /** poll(2) event bits. */
    short POLLIN = 0x001;
    short POLLERR = 0x008;
    short POLLHUP = 0x010;
    short POLLNVAL = 0x020;
    /** setns(2): join a network namespace. */
    int CLONE_NEWNET = 0x40000000;

    /** errno values (asm-generic/errno-base.h, errno.h). */
    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = O_CLOEXEC;
    int NETLINK_ROUTE = 0;

    int EPERM = 1;
    int ENOENT = 2;
    int EINTR = 4;
    int EIO = 5;
    int EBADF = 9;
    int EAGAIN = 11;
    int ENOMEM = 12;
    int EACCES = 13;
    int EBUSY = 16;
    int EEXIST = 17;
    int ENODEV = 19;
    int EINVAL = 22;
    int ENOBUFS = 105;

    @SaveError
    int open(String path, int flags);

    @SaveError
    int close(int fd);

    @SaveError
    int ioctl(int fd, long request, long argp);

    @SaveError
    long read(int fd, long buf, long count);

    @SaveError
    long write(int fd, long buf, long count);

    @SaveError
    int ppoll(long fds, long nfds, long timeout, long sigmask);

    @SaveError
    int eventfd(int initval, int flags);

    /** socket(2); here only AF_NETLINK / SOCK_RAW / NETLINK_ROUTE (rtnetlink(7)). */
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int setns(int fd, int nstype);

    int if_nametoindex(String name);

    String strerror(int errnum);

    /** The loaded library and its runtime (for errno). */
    final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

        private Holder() {
        }
    }

    static LibC libc() {
        return Holder.LIBC;
    }

    /** errno of the last call made by this thread through {@link #libc()}. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    /** "strerror (errno N)", e.g. "Device or resource busy (errno 16)". */
    static String describe(int errno) {
        return libc().strerror(errno) + " (errno " + errno + ")";
    }
}
