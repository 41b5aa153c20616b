package io.jmptcp.core.runtime;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Whole-IP-packet input and output for the runtime's event loop.
 *
 * <p>The loop calls {@link #receive} with the time until the engine's next timer as the timeout,
 * hands every packet in the batch to the engine, then writes the engine's output with
 * {@link #send}. Implementations: the TUN device ({@code io.jmptcp.tun.TunPacketIo}), an
 * in-memory pair ({@link MemoryPacketIo}), and wrappers ({@link FaultInjectingPacketIo},
 * {@code io.jmptcp.tun.pcap.PcapPacketIo}).
 *
 * <p>Threading: one thread (the event loop) calls {@code receive} and {@code send}; any thread may
 * call {@link #wakeup()} and {@link #close()}.
 */
public interface PacketIo extends Closeable {

    /**
     * Waits until at least one packet is available, the timeout passes, {@link #wakeup()} is
     * called or the I/O is closed, then moves as many packets as are available right now (at most
     * {@code batch.capacity() - batch.size()}) into {@code batch}. The batch's slots must hold a
     * packet of {@link #mtu()} bytes ({@code batch.bufferSize() >= mtu()}).
     *
     * @param timeoutNanos the longest wait; 0 or less means do not wait (poll)
     * @return the number of packets added to the batch (0 after a timeout or wakeup)
     * @throws java.nio.channels.ClosedChannelException if the I/O was closed
     */
    int receive(PacketBatch batch, long timeoutNanos) throws IOException;

    /**
     * Writes one whole IP packet: the bytes from the buffer's position to its limit. The buffer's
     * position, limit and contents are left unchanged, so the caller may reuse it at once.
     * A packet that cannot be delivered (a full queue, a link that is down) is dropped silently,
     * as a network interface would; an {@link IOException} means the I/O itself is broken.
     */
    void send(ByteBuffer packet) throws IOException;

    /**
     * Ends a run of {@link #send} calls: an I/O that holds packets back to join them (TUN
     * offloads) writes them now. Called after every round of the event loop. Default: nothing.
     */
    default void flush() throws IOException {
    }

    /** Makes a {@link #receive} that is waiting (or the next one) return at once with 0 packets. */
    void wakeup();

    /** The largest packet this I/O carries, in bytes (the device MTU). */
    int mtu();

    /** Releases the I/O; a waiting {@link #receive} returns. Idempotent. */
    @Override
    void close() throws IOException;
}
