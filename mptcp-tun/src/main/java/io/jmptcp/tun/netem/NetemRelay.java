package io.jmptcp.tun.netem;

import io.jmptcp.core.runtime.PacketBatch;
import io.jmptcp.core.runtime.PacketIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * The link emulator on a live {@link PacketIo} (a TUN device): every packet read is offered to
 * the {@link LinkEmulator} at the current {@link System#nanoTime()}, and written back into the
 * same device when due. The kernel routes a path's traffic into the device with a policy rule;
 * packets written back enter the kernel as received on the device and are routed on (see
 * docs/testbed.md for the routing recipe).
 *
 * <p>{@link #run()} loops until {@link #stop()}; the receive timeout is the time to the next due
 * packet, so a delayed packet leaves within the timer slack of ppoll(2) (50 us by default).
 */
public final class NetemRelay implements Runnable {
    private final PacketIo io;
    private final LinkEmulator emulator;
    private final PacketBatch batch;
    private volatile boolean stopped;
    private long relayed;

    public NetemRelay(PacketIo io, LinkEmulator emulator) {
        this.io = io;
        this.emulator = emulator;
        this.batch = new PacketBatch(64, Math.max(io.mtu(), 2048), true);
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (ClosedChannelException e) {
            if (!stopped) {
                throw new IllegalStateException("the device was closed under the relay", e);
            }
        } catch (IOException e) {
            throw new IllegalStateException("relay failed: " + e.getMessage(), e);
        }
    }

    private void loop() throws IOException {
        while (!stopped) {
            long now = System.nanoTime();
            ByteBuffer due;
            while ((due = emulator.poll(now)) != null) {
                io.send(due);
                relayed++;
            }
            long next = emulator.nextDue();
            long timeout = next == Long.MAX_VALUE ? 1_000_000_000L : Math.max(0, next - now);
            batch.clear();
            int n = io.receive(batch, timeout);
            if (n > 0) {
                now = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    emulator.offer(batch.get(i), now);
                }
            }
        }
    }

    /** Ends {@link #run()} soon (from any thread); packets still held are discarded. */
    public void stop() {
        stopped = true;
        io.wakeup();
    }

    /** Packets written back so far (read only from the relay thread, or after it ended). */
    public long relayed() {
        return relayed;
    }

    public LinkEmulator emulator() {
        return emulator;
    }
}
