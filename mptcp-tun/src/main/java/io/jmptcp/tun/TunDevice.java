package io.jmptcp.tun;

import com.kenai.jffi.MemoryIO;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;

/**
 * A Linux TUN device opened with {@code IFF_TUN | IFF_NO_PI}: every read returns one whole IP
 * packet and every write injects one (see the kernel's Documentation/networking/tuntap.rst).
 *
 * <p>The file descriptor is non-blocking; {@link #await(long)} waits with ppoll(2) for the device
 * or a {@link #wakeup()} (an eventfd(2)). All native memory (ifreq, pollfd array, timespec, eventfd
 * counter) is allocated once, and buffers are passed to read(2)/write(2) by address, so the
 * packet path allocates nothing.
 *
 * <p>The device lives in the network namespace of the thread that opens it (the kernel records it
 * at open time); use {@link Netns#call} to open one inside a named namespace.
 *
 * <p>Threading: one thread reads ({@link #await}, {@link #read}) and one writes (it may be the
 * same); {@link #wakeup()} and {@link #close()} may be called from any thread. Each side holds its
 * own lock while it uses a descriptor, and close() takes all of them before closing the
 * descriptors, so no call can ever act on a descriptor number the process has reused. Uncontended
 * locks cost a few nanoseconds and allocate nothing.
 */
public final class TunDevice implements Closeable {
    /** ioctl request numbers, from linux/if_tun.h: _IOW('T', 202, int) and _IOW('T', 203, int). */
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    /** Every packet read or written is preceded by a struct virtio_net_hdr ({@link VirtioNetHdr}). */
    static final short IFF_VNET_HDR = 0x4000;
    /** _IOW('T', 208, unsigned int): the offloads the reader accepts (TUN_F_*), by value. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    /** TUN_F_*: the reader handles partial checksums, TCP super-packets over IPv4, over IPv6. */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    /** struct ifreq: IFNAMSIZ (16) bytes of name, then the union (flags are a short at 16). */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;

    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    private final LibC libc = LibC.libc();
    private final String name;
    private final boolean created;
    private final int fd;
    private final int eventFd;
    /** Two struct pollfd { int fd; short events; short revents; }: the TUN fd, the eventfd. */
    private final ByteBuffer pollFds = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
    private final long pollFdsAddress = MEMORY.getDirectBufferAddress(pollFds);
    /** struct timespec { long tv_sec; long tv_nsec; }. */
    private final ByteBuffer timespec = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
    private final long timespecAddress = MEMORY.getDirectBufferAddress(timespec);
    /** The eventfd counter: 8 bytes, written as 1 by wakeup(), drained by await(). */
    private final ByteBuffer wakeupOne = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
    private final long wakeupOneAddress = MEMORY.getDirectBufferAddress(wakeupOne);
    private final ByteBuffer drain = ByteBuffer.allocateDirect(8);
    private final long drainAddress = MEMORY.getDirectBufferAddress(drain);
    /** Heap buffers are copied here before write(2). */
    private final ByteBuffer writeCopy = ByteBuffer.allocateDirect(65536);
    private final long writeCopyAddress = MEMORY.getDirectBufferAddress(writeCopy);
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    private final Object wakeLock = new Object();
    private volatile boolean closed;
    private long writeDrops;
    private int lastWriteErrno;

    private TunDevice(String name, boolean created, int fd, int eventFd) {
        this.name = name;
        this.created = created;
        this.fd = fd;
        this.eventFd = eventFd;
        pollFds.putInt(0, fd).putShort(4, LibC.POLLIN).putInt(8, eventFd).putShort(12, LibC.POLLIN);
    }

    /**
     * Opens the TUN device {@code name} in the calling thread's network namespace, creating it if
     * absent. A device this call creates is not persistent: it disappears on {@link #close()}.
     * An existing persistent TUN device (ip tuntap add ... mode tun) is attached and left in place.
     */
    public static TunDevice open(String name) throws TunException {
        return open(name, false);
    }

    /**
     * As {@link #open(String)}; with {@code vnetHdr} every packet read and written carries a
     * leading 10-byte virtio_net_hdr ({@code IFF_VNET_HDR}), which the offloads of
     * {@link #setOffload} need.
     */
    public static TunDevice open(String name, boolean vnetHdr) throws TunException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (name.isEmpty() || nameBytes.length >= IFNAMSIZ || name.contains("/") || name.contains(" ")) {
            throw new TunException("invalid device name '" + name
                    + "': 1 to 15 characters, no '/' or spaces (IFNAMSIZ is 16 with the NUL)", 0);
        }
        LibC libc = LibC.libc();
        boolean existed = libc.if_nametoindex(name) != 0;
        int fd = libc.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw TunException.forOpen(LibC.errno());
        }
        ByteBuffer ifr = ByteBuffer.allocateDirect(IFREQ_SIZE).order(ByteOrder.nativeOrder());
        ifr.put(0, nameBytes);
        ifr.putShort(IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI | (vnetHdr ? IFF_VNET_HDR : 0)));
        if (libc.ioctl(fd, TUNSETIFF, MEMORY.getDirectBufferAddress(ifr)) < 0) {
            int errno = LibC.errno();
            libc.close(fd);
            throw TunException.forSetIff(name, errno);
        }
        int efd = libc.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (efd < 0) {
            int errno = LibC.errno();
            libc.close(fd);
            throw new TunException("eventfd failed [" + LibC.describe(errno) + "]", errno);
        }
        return new TunDevice(name, !existed, fd, efd);
    }

    /**
     * Tells the kernel which offloads this reader handles (TUNSETOFFLOAD with TUN_F_* bits): with
     * TUN_F_TSO4/6 it hands over TCP super-packets unsegmented and takes them on write. Needs a
     * device opened with a virtio header.
     */
    public void setOffload(int tunFlags) throws IOException {
        synchronized (writeLock) {
            ensureOpen();
            if (libc.ioctl(fd, TUNSETOFFLOAD, tunFlags) < 0) {
                int errno = LibC.errno();
                throw new TunException("TUNSETOFFLOAD 0x" + Integer.toHexString(tunFlags) + " on '" + name
                        + "' failed [" + LibC.describe(errno) + "]", errno);
            }
        }
    }

    public String name() {
        return name;
    }

    /** Whether {@link #open} created the device (it then disappears on close). */
    public boolean created() {
        return created;
    }

    /**
     * Reads one packet into {@code dst} (a direct buffer) at its position, without waiting.
     *
     * @return the packet length, advancing the position by it; 0 if no packet is queued
     */
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.isDirect()) {
            throw new IllegalArgumentException("read needs a direct buffer");
        }
        synchronized (readLock) {
            return readLocked(dst);
        }
    }

    private int readLocked(ByteBuffer dst) throws IOException {
        ensureOpen();
        long address = MEMORY.getDirectBufferAddress(dst) + dst.position();
        while (true) {
            long n = libc.read(fd, address, dst.remaining());
            if (n >= 0) {
                dst.position(dst.position() + (int) n);
                return (int) n;
            }
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN) {
                return 0;
            }
            if (errno != LibC.EINTR) {
                ensureOpen();
                throw new IOException("read from TUN device '" + name + "' failed [" + LibC.describe(errno) + "]");
            }
        }
    }

    /**
     * Writes one packet: the bytes from position to limit (position unchanged). A packet the
     * kernel refuses (not IPv4/IPv6, or no buffer space) is dropped and counted, as a NIC would.
     *
     * @return whether the kernel accepted the packet
     */
    public boolean write(ByteBuffer src) throws IOException {
        synchronized (writeLock) {
            return writeLocked(src);
        }
    }

    private boolean writeLocked(ByteBuffer src) throws IOException {
        ensureOpen();
        int length = src.remaining();
        long address;
        if (src.isDirect()) {
            address = MEMORY.getDirectBufferAddress(src) + src.position();
        } else {
            if (length > writeCopy.capacity()) {
                writeDrops++;
                lastWriteErrno = LibC.EINVAL;
                return false;
            }
            writeCopy.put(0, src, src.position(), length);
            address = writeCopyAddress;
        }
        while (true) {
            long n = libc.write(fd, address, length);
            if (n >= 0) {
                return true;
            }
            int errno = LibC.errno();
            if (errno == LibC.EINTR) {
                continue;
            }
            if (errno == LibC.EBADF) {
                ensureOpen();
                throw new IOException("write to TUN device '" + name + "' failed [" + LibC.describe(errno) + "]");
            }
            writeDrops++;
            lastWriteErrno = errno;
            return false;
        }
    }

    /** Packets the kernel refused on write. */
    public long writeDrops() {
        return writeDrops;
    }

    /** errno of the last refused write (0 if none). */
    public int lastWriteErrno() {
        return lastWriteErrno;
    }

    /**
     * Waits until a packet can be read, {@link #wakeup()} is called, or the timeout passes.
     *
     * @param timeoutNanos 0 = do not wait; negative = wait without limit
     * @return whether a packet is ready to read
     */
    public boolean await(long timeoutNanos) throws IOException {
        synchronized (readLock) {
            return awaitLocked(timeoutNanos);
        }
    }

    private boolean awaitLocked(long timeoutNanos) throws IOException {
        ensureOpen();
        long tsAddress = 0;
        if (timeoutNanos >= 0) {
            timespec.putLong(0, timeoutNanos / 1_000_000_000L).putLong(8, timeoutNanos % 1_000_000_000L);
            tsAddress = timespecAddress;
        }
        pollFds.putShort(6, (short) 0).putShort(14, (short) 0);
        int n = libc.ppoll(pollFdsAddress, 2, tsAddress, 0);
        if (n < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EINTR) {
                return false;
            }
            ensureOpen();
            throw new IOException("ppoll on TUN device '" + name + "' failed [" + LibC.describe(errno) + "]");
        }
        ensureOpen(); // woken by close()
        short tunEvents = pollFds.getShort(6);
        if (pollFds.getShort(14) != 0) {
            libc.read(eventFd, drainAddress, 8);
        }
        if ((tunEvents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0) {
            ensureOpen();
            throw new IOException("TUN device '" + name + "' reports an error (poll revents 0x"
                    + Integer.toHexString(tunEvents & 0xffff) + ")");
        }
        return (tunEvents & LibC.POLLIN) != 0;
    }

    /** Makes a waiting (or the next) {@link #await} return. Safe from any thread. */
    public void wakeup() {
        synchronized (wakeLock) {
            if (!closed) {
                libc.write(eventFd, wakeupOneAddress, 8);
            }
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /**
     * Closes the device. A device this object created disappears with its addresses and routes
     * (the kernel unregisters a non-persistent TUN when its last file closes). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        // Wake a reader blocked in ppoll (it then sees closed and lets go of the read lock),
        // then close the descriptors once no call is using them.
        synchronized (wakeLock) {
            closed = true;
            libc.write(eventFd, wakeupOneAddress, 8);
        }
        synchronized (readLock) {
            synchronized (writeLock) {
                synchronized (wakeLock) {
                    libc.close(fd);
                    libc.close(eventFd);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + (created ? ", created" : ", existing") + (closed ? ", closed" : "") + "]";
    }
}
