package io.jmptcp.core.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread that writes the event loop's packets, so that the kernel work a TUN write carries out
 * in the writer's system call (the forwarding of the packet) runs beside the protocol work
 * instead of after it. Packets pass through a single-producer, single-consumer ring of direct
 * buffers: the loop encodes into the next free slot and publishes after each round; the sender
 * writes every published slot in order and frees them. Nothing is allocated per packet.
 *
 * <p>The loop's {@link PacketIo} must then allow {@code send} concurrently with {@code receive}
 * (TUN devices and {@link MemoryPacketIo} do; {@link FaultInjectingPacketIo} does not).
 */
final class Sender implements Runnable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Sender.class);
    private final PacketIo io;
    private final ByteBuffer[] ring;
    private final int mask;
    private final Thread thread;
    /** Slots filled by the producer (producer-private until published). */
    private long tail;
    /** Slots the sender may write. */
    private volatile long published;
    /** Slots written; the producer reuses slots below this. */
    private volatile long head;
    private volatile boolean running = true;
    private volatile IOException failure;

    /** @param slots ring size, a power of two */
    Sender(PacketIo io, int slots, int mtu) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two");
        }
        this.io = io;
        this.ring = new ByteBuffer[slots];
        for (int i = 0; i < slots; i++) {
            ring[i] = ByteBuffer.allocateDirect(mtu);
        }
        this.mask = slots - 1;
        this.thread = new Thread(this, "jmptcp-sender");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Producer: the next free slot, cleared; waits (publishing what is filled) while the ring is full. */
    ByteBuffer next() throws IOException {
        while (tail - head >= ring.length) {
            publish();
            checkFailure();
            LockSupport.parkNanos(20_000);
        }
        return ring[(int) tail & mask].clear();
    }

    /** Producer: the slot from {@link #next()} holds a packet from 0 to its limit. */
    void commit() {
        tail++;
    }

    /** Producer: lets the sender write everything committed so far. */
    void publish() {
        if (published != tail) {
            published = tail;
            LockSupport.unpark(thread);
        }
    }

    /** Producer: rethrows the sender's I/O failure, if any. */
    void checkFailure() throws IOException {
        IOException e = failure;
        if (e != null) {
            throw new IOException("sending failed: " + e.getMessage(), e);
        }
    }

    /** Stops after writing what was published. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void run() {
        try {
            while (true) {
                long p = published;
                long h = head;
                if (h == p) {
                    if (!running) {
                        return;
                    }
                    LockSupport.park(this);
                    continue;
                }
                for (long i = h; i < p; i++) {
                    io.send(ring[(int) i & mask]);
                }
                io.flush();
                head = p;
            }
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            // Not silently: the loop rethrows it (checkFailure) and stops the stack with it.
            LOG.error("sender thread stopped: {}", e.toString(), e);
            failure = new IOException(e.toString(), e);
        }
    }
}
