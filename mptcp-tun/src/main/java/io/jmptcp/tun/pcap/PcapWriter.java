package io.jmptcp.tun.pcap;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes classic libpcap files (the format of pcap-savefile(5), also described in
 * draft-ietf-opsawg-pcap): a 24-byte file header with magic 0xa1b2c3d4 (microsecond
 * timestamps), version 2.4 and link type LINKTYPE_RAW (101: each record is a bare IPv4 or IPv6
 * packet, as a TUN device without packet information carries), then per packet a 16-byte record
 * header (seconds, microseconds, captured length, original length) and the bytes.
 *
 * <p>Fields are written little-endian; readers detect the byte order from the magic number.
 * Records are gathered in a 256 KiB buffer, written when it is full, on {@link #flush()} and on
 * {@link #close()}, so writing a packet allocates nothing. Thread-safe.
 */
public final class PcapWriter implements Closeable {
    public static final int MAGIC_MICROSECONDS = 0xa1b2c3d4;
    public static final int LINKTYPE_RAW = 101;
    public static final int DEFAULT_SNAPLEN = 65535;
    private static final int RECORD_HEADER = 16;

    private final WritableByteChannel out;
    private final int snaplen;
    private final ByteBuffer buffer;
    private boolean closed;
    private long packets;

    /** Writes the file header to {@code out}; packets longer than {@code snaplen} are truncated. */
    public PcapWriter(WritableByteChannel out, int snaplen) throws IOException {
        if (snaplen <= 0) {
            throw new IllegalArgumentException("snaplen must be positive");
        }
        this.out = out;
        this.snaplen = snaplen;
        this.buffer = ByteBuffer.allocateDirect(Math.max(256 * 1024, snaplen + RECORD_HEADER))
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(MAGIC_MICROSECONDS)
                .putShort((short) 2).putShort((short) 4) // version 2.4
                .putInt(0) // thiszone: timestamps are UTC
                .putInt(0) // sigfigs
                .putInt(snaplen)
                .putInt(LINKTYPE_RAW);
        drain();
    }

    /** Creates (or truncates) {@code file} and writes the file header. */
    public static PcapWriter create(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            return new PcapWriter(ch, DEFAULT_SNAPLEN);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Appends one packet (position to limit; the buffer is not changed).
     *
     * @param timeMicros capture time in microseconds since the Unix epoch
     */
    public synchronized void write(long timeMicros, ByteBuffer packet) throws IOException {
        if (closed) {
            throw new IOException("pcap writer is closed");
        }
        int length = packet.remaining();
        int captured = Math.min(length, snaplen);
        if (buffer.remaining() < RECORD_HEADER + captured) {
            drain();
        }
        buffer.putInt((int) Math.floorDiv(timeMicros, 1_000_000L))
                .putInt((int) Math.floorMod(timeMicros, 1_000_000L))
                .putInt(captured)
                .putInt(length);
        buffer.put(buffer.position(), packet, packet.position(), captured);
        buffer.position(buffer.position() + captured);
        packets++;
    }

    /** Packets written so far. */
    public synchronized long packets() {
        return packets;
    }

    /** Writes the buffered records to the channel. */
    public synchronized void flush() throws IOException {
        if (!closed) {
            drain();
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        buffer.clear();
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            drain();
        } finally {
            closed = true;
            out.close();
        }
    }
}
