package io.jmptcp.tun.bench;

import io.jmptcp.core.runtime.PacketBatch;
import io.jmptcp.tun.TunConfig;
import io.jmptcp.tun.TunDevice;
import io.jmptcp.tun.TunPacketIo;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The raw TUN ceiling from Java (run by scripts/bench-tun.sh, inside a scratch namespace):
 * <ul>
 *   <li><b>write</b>: one thread writes IPv4/UDP packets into the device as fast as it can; the
 *       kernel routes them to a blackhole route and drops them.</li>
 *   <li><b>read</b>: packets queued in the device by the kernel (written and forwarded back, as
 *       in relay) are read out; only the reads are timed.</li>
 *   <li><b>relay</b>: one thread writes packets whose destination is routed back into the device
 *       and reads them after the kernel forwarded them: the work of the netem relay.</li>
 * </ul>
 * Usage: {@code TunBench NETNS [SECONDS] [PACKET_BYTES]}. The namespace must exist; the device
 * {@code jtunbench0} is created in it. Prints one line per test, and the bytes this thread
 * allocated per packet in the measured phase (0 means the packet path creates no garbage).
 */
public final class TunBench {
    private static final String DEV = "jtunbench0";

    private TunBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: TunBench NETNS [SECONDS] [PACKET_BYTES]");
            System.exit(2);
        }
        String ns = args[0];
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 1500;
        // 10.98.0.1/32 is the kernel's side; 10.98.0.2 is routed into the device (the stack's
        // address); 10.99.0.0/16 is a blackhole in the namespace.
        TunConfig config = new TunConfig(DEV, Math.max(1500, size), List.of("10.98.0.2", "10.98.1.2"),
                List.of("10.98.0.1/32"), ns);
        try (TunPacketIo io = TunPacketIo.open(config)) {
            run("write", seconds, size, () -> write(io.device(), seconds, size));
            setQueueLength(ns, 2 * ROUND);
            run("read", seconds, size, () -> read(io, seconds, size));
            run("relay", seconds, size, () -> relay(io, seconds, size));
        }
    }

    /** The device's transmit queue (packets the kernel holds for the reader; default 500). */
    private static void setQueueLength(String ns, int packets) throws Exception {
        Process p = new ProcessBuilder("ip", "-n", ns, "link", "set", "dev", DEV, "txqueuelen",
                Integer.toString(packets)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("cannot set txqueuelen of " + DEV);
        }
    }

    private interface Test {
        long[] run() throws Exception;
    }

    private static void run(String name, double seconds, int size, Test test) throws Exception {
        test.run(); // warm-up: the JIT compiles the loop
        long[] r = test.run(); // {packets, nanos, allocated bytes}
        double pps = r[0] / (r[1] / 1e9);
        System.out.printf("%-6s %9.0f packets/s  %6.2f Gbit/s  (%d-byte packets, %.1f s, %.2f bytes allocated/packet)%n",
                name, pps, pps * size * 8 / 1e9, size, r[1] / 1e9, r[0] == 0 ? 0.0 : (double) r[2] / r[0]);
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** An IPv4/UDP packet (RFC 791, RFC 768) of {@code size} bytes in a direct buffer. */
    static ByteBuffer packet(int size, int src, int dst) {
        ByteBuffer p = ByteBuffer.allocateDirect(size);
        p.put(0, (byte) 0x45).putShort(2, (short) size).put(8, (byte) 64).put(9, (byte) 17);
        p.putInt(12, src).putInt(16, dst);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += p.getShort(i) & 0xffff;
        }
        sum = (sum & 0xffff) + (sum >> 16);
        p.putShort(10, (short) ~((sum & 0xffff) + (sum >> 16)));
        p.putShort(20, (short) 40000).putShort(22, (short) 9).putShort(24, (short) (size - 20));
        return p; // UDP checksum 0: none (RFC 768)
    }

    private static int ip(int a, int b, int c, int d) {
        return a << 24 | b << 16 | c << 8 | d;
    }

    private static long[] write(TunDevice dev, double seconds, int size) throws Exception {
        ByteBuffer p = packet(size, ip(10, 98, 0, 2), ip(10, 99, 0, 1));
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long n = 0;
        long a0 = allocated();
        long t0 = System.nanoTime();
        long now = t0;
        while (now < end) {
            for (int i = 0; i < 256; i++) {
                if (dev.write(p)) {
                    n++;
                }
            }
            now = System.nanoTime();
        }
        return new long[] {n, now - t0, allocated() - a0};
    }

    /** Packets queued per round of the read test (the device's queue is raised above this). */
    private static final int ROUND = 20_000;

    private static long[] read(TunPacketIo io, double seconds, int size) throws Exception {
        // Fill the device's queue through the kernel (each packet written is forwarded back out
        // of the device, see relay), then time only the reads that empty it.
        ByteBuffer p = packet(size, ip(10, 98, 1, 2), ip(10, 98, 0, 2));
        PacketBatch batch = new PacketBatch(64, 2048, true);
        drain(io, batch);
        long n = 0;
        long readNanos = 0;
        long alloc = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            for (int i = 0; i < ROUND; i++) {
                io.send(p);
            }
            long a0 = allocated();
            long t0 = System.nanoTime();
            int got = 0;
            while (true) {
                batch.clear();
                int k = io.receive(batch, 0);
                if (k == 0) {
                    break;
                }
                got += k;
            }
            readNanos += System.nanoTime() - t0;
            alloc += allocated() - a0;
            n += got;
        }
        return new long[] {n, readNanos, alloc};
    }

    private static long[] relay(TunPacketIo io, double seconds, int size) throws Exception {
        // Sent from 10.98.1.2 (routed into the device) to 10.98.0.2 (routed into the device):
        // the kernel forwards each packet back out of the device.
        ByteBuffer p = packet(size, ip(10, 98, 1, 2), ip(10, 98, 0, 2));
        PacketBatch batch = new PacketBatch(64, 2048, true);
        drain(io, batch);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long n = 0;
        long a0 = allocated();
        long t0 = System.nanoTime();
        long now = t0;
        while (now < end) {
            for (int i = 0; i < 32; i++) {
                io.send(p);
            }
            batch.clear();
            n += io.receive(batch, 1_000_000L);
            now = System.nanoTime();
        }
        long a1 = allocated();
        drain(io, batch);
        return new long[] {n, now - t0, a1 - a0};
    }

    private static void drain(TunPacketIo io, PacketBatch batch) throws Exception {
        do {
            batch.clear();
        } while (io.receive(batch, 50_000_000L) > 0);
    }
}
