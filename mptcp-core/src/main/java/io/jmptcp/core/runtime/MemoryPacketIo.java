package io.jmptcp.core.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory point-to-point link: {@link #pair} returns two ends; a packet sent on one end is
 * received on the other. Real time, blocking, thread-safe; for tests and for wiring two runtimes
 * together in one process without root.
 *
 * <p>Each direction holds at most {@code queueLimit} packets; a packet sent to a full queue is
 * dropped (and counted), as an interface queue would drop it. Packets longer than the MTU are
 * dropped too. Each packet sent is copied into a new array: this is a test device, not a fast
 * path.
 */
public final class MemoryPacketIo implements PacketIo {
    private final int mtu;
    private final Queue inbound;
    private final Queue outbound;

    private MemoryPacketIo(int mtu, Queue inbound, Queue outbound) {
        this.mtu = mtu;
        this.inbound = inbound;
        this.outbound = outbound;
    }

    /** Two connected ends: what {@code [0]} sends, {@code [1]} receives, and the other way round. */
    public static MemoryPacketIo[] pair(int mtu, int queueLimit) {
        if (mtu <= 0 || queueLimit <= 0) {
            throw new IllegalArgumentException("mtu and queueLimit must be positive");
        }
        Queue ab = new Queue(queueLimit);
        Queue ba = new Queue(queueLimit);
        return new MemoryPacketIo[] {new MemoryPacketIo(mtu, ba, ab), new MemoryPacketIo(mtu, ab, ba)};
    }

    @Override
    public int receive(PacketBatch batch, long timeoutNanos) throws IOException {
        return inbound.take(batch, timeoutNanos);
    }

    @Override
    public void send(ByteBuffer packet) throws IOException {
        if (inbound.isClosed()) {
            throw new ClosedChannelException();
        }
        if (packet.remaining() > mtu) {
            outbound.countDrop();
            return;
        }
        byte[] copy = new byte[packet.remaining()];
        packet.get(packet.position(), copy);
        outbound.put(copy);
    }

    @Override
    public void wakeup() {
        inbound.wakeup();
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /** Packets dropped on the way out of this end (full queue, longer than the MTU). */
    public long sendDrops() {
        return outbound.drops();
    }

    /** Closes this end; the peer's sends to it are then dropped. */
    @Override
    public void close() {
        inbound.close();
    }

    /** One direction: a bounded FIFO with a condition for the blocking receive. */
    private static final class Queue {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ArrayDeque<byte[]> packets = new ArrayDeque<>();
        private final int limit;
        private boolean closed;
        private boolean wakeup;
        private long drops;

        Queue(int limit) {
            this.limit = limit;
        }

        void put(byte[] packet) {
            lock.lock();
            try {
                if (closed || packets.size() >= limit) {
                    drops++;
                    return;
                }
                packets.addLast(packet);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        int take(PacketBatch batch, long timeoutNanos) throws IOException {
            lock.lock();
            try {
                long remaining = timeoutNanos;
                while (packets.isEmpty() && !closed && !wakeup && remaining > 0) {
                    remaining = changed.awaitNanos(remaining);
                }
                if (closed) {
                    throw new ClosedChannelException();
                }
                wakeup = false;
                int n = 0;
                while (!packets.isEmpty() && !batch.isFull()) {
                    batch.add(ByteBuffer.wrap(packets.pollFirst()));
                    n++;
                }
                return n;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for a packet");
            } finally {
                lock.unlock();
            }
        }

        void wakeup() {
            lock.lock();
            try {
                wakeup = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void close() {
            lock.lock();
            try {
                closed = true;
                packets.clear();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        boolean isClosed() {
            lock.lock();
            try {
                return closed;
            } finally {
                lock.unlock();
            }
        }

        void countDrop() {
            lock.lock();
            try {
                drops++;
            } finally {
                lock.unlock();
            }
        }

        long drops() {
            lock.lock();
            try {
                return drops;
            } finally {
                lock.unlock();
            }
        }
    }
}
