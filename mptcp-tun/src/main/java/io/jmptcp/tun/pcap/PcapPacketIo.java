package io.jmptcp.tun.pcap;

import io.jmptcp.core.runtime.PacketBatch;
import io.jmptcp.core.runtime.PacketIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * A {@link PacketIo} wrapper that records every packet received and sent into a
 * {@link PcapWriter} ({@code --pcap FILE}). Records are written in the order the packets pass,
 * stamped by the given clock. Buffered records are flushed whenever a receive finds nothing (the
 * loop is idle) and on close, so a capture is complete up to the last idle moment even if the
 * process dies.
 */
public final class PcapPacketIo implements PacketIo {
    private final PacketIo inner;
    private final PcapWriter writer;
    private final LongSupplier clockMicros;

    /**
     * @param clockMicros the capture time in microseconds since the Unix epoch
     *                    ({@link #wallClockMicros()} for live capture, a virtual clock in tests)
     */
    public PcapPacketIo(PacketIo inner, PcapWriter writer, LongSupplier clockMicros) {
        this.inner = inner;
        this.writer = writer;
        this.clockMicros = clockMicros;
    }

    /**
     * A wall clock in microseconds that allocates nothing per call: the epoch time read once,
     * advanced by {@link System#nanoTime()}.
     */
    public static LongSupplier wallClockMicros() {
        long baseMicros = System.currentTimeMillis() * 1000L;
        long baseNanos = System.nanoTime();
        return () -> baseMicros + (System.nanoTime() - baseNanos) / 1000L;
    }

    @Override
    public int receive(PacketBatch batch, long timeoutNanos) throws IOException {
        int first = batch.size();
        int n = inner.receive(batch, timeoutNanos);
        if (n == 0) {
            writer.flush();
            return 0;
        }
        long now = clockMicros.getAsLong();
        for (int i = first; i < first + n; i++) {
            writer.write(now, batch.get(i));
        }
        return n;
    }

    @Override
    public void send(ByteBuffer packet) throws IOException {
        writer.write(clockMicros.getAsLong(), packet);
        inner.send(packet);
    }

    @Override
    public void flush() throws IOException {
        inner.flush();
    }

    @Override
    public void wakeup() {
        inner.wakeup();
    }

    @Override
    public int mtu() {
        return inner.mtu();
    }

    /** Closes the wrapped I/O, then completes and closes the capture file. */
    @Override
    public void close() throws IOException {
        try {
            inner.close();
        } finally {
            writer.close();
        }
    }
}
