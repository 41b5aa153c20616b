package io.jmptcp.tun.pcap;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads capture files: classic pcap (either byte order, microsecond or nanosecond timestamps) and
 * pcapng (sections of either byte order, one link type per interface, enhanced, simple and
 * obsolete packet blocks; other blocks are skipped). Frames come out one at a time with the offset
 * of their IP packet (see {@link PcapLinkReader} for the link types).
 *
 * <p>Garbage never throws. A file that is not a capture, or whose structure breaks part-way (a
 * record cut short, a block whose lengths disagree), ends the frame sequence and {@link #failure()}
 * says why; the frames read before that point stay valid. A frame whose link layer holds no IP
 * packet is still returned, with a {@link PcapFrame.NotIp} reason. Only real I/O errors (the file
 * cannot be opened or read) are {@link IOException}s.
 *
 * <p>Formats: the tcpdump.org pcap format and the pcapng format (IETF opsawg drafts
 * draft-ietf-opsawg-pcap and draft-ietf-opsawg-pcapng).
 */
public final class PcapReader implements Closeable {

    /** The container format of a capture file. */
    public enum Format {
        /** Classic pcap with microsecond timestamps (magic 0xa1b2c3d4). */
        PCAP_MICROS,
        /** Classic pcap with nanosecond timestamps (magic 0xa1b23c4d). */
        PCAP_NANOS,
        /** pcapng. */
        PCAPNG
    }

    /** Everything read from a file: its format (absent if it is not a capture), frames, failure. */
    public record Capture(Optional<Format> format, List<PcapFrame> frames, Optional<String> failure) {
        public Capture {
            frames = List.copyOf(frames);
        }
    }

    static final int PCAP_MAGIC_MICROS = 0xA1B2C3D4;
    static final int PCAP_MAGIC_NANOS = 0xA1B23C4D;
    static final int PCAPNG_SHB = 0x0A0D0D0A;
    static final int PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    static final int PCAPNG_IDB = 0x00000001;
    static final int PCAPNG_PB_OBSOLETE = 0x00000002;
    static final int PCAPNG_SPB = 0x00000003;
    static final int PCAPNG_EPB = 0x00000006;

    /**
     * Larger records or blocks are treated as corruption rather than allocated (libpcap and
     * Wireshark use similar sanity caps; real packets, even 64 KiB GSO ones, are far smaller).
     */
    static final int MAX_RECORD = 16 * 1024 * 1024;

    private final InputStream in;
    private Format format;
    private String failure;
    private boolean done;
    private long offset;
    private int nextIndex = 1;

    // classic pcap state
    private ByteOrder order = ByteOrder.BIG_ENDIAN;
    private int pcapLinkType;

    // pcapng state: interfaces of the current section
    private final List<PcapNgInterface> interfaces = new ArrayList<>();

    private PcapReader(InputStream in) throws IOException {
        this.in = in;
        readFileHeader();
    }

    /** Opens a capture file. Throws only if the file cannot be opened or read. */
    public static PcapReader open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            return new PcapReader(new BufferedInputStream(raw, 1 << 16));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** Reads a capture held in memory. */
    public static PcapReader of(byte[] capture) {
        try {
            return new PcapReader(new ByteArrayInputStream(capture));
        } catch (IOException e) {
            throw new IllegalStateException("a byte array does not fail to read", e);
        }
    }

    /** Reads a whole capture file. Throws only if the file cannot be opened or read. */
    public static Capture readAll(Path file) throws IOException {
        try (PcapReader r = open(file)) {
            return r.drain();
        }
    }

    /** Reads a whole capture held in memory. */
    public static Capture readAll(byte[] capture) {
        try (PcapReader r = of(capture)) {
            return r.drain();
        } catch (IOException e) {
            throw new IllegalStateException("a byte array does not fail to read", e);
        }
    }

    private Capture drain() throws IOException {
        List<PcapFrame> frames = new ArrayList<>();
        for (PcapFrame f = next(); f != null; f = next()) {
            frames.add(f);
        }
        return new Capture(format(), frames, failure());
    }

    /** The file's format, or empty when it is not a capture file. */
    public Optional<Format> format() {
        return Optional.ofNullable(format);
    }

    /**
     * Why reading stopped before the end of the file (not a capture, a record cut short, a broken
     * block), or empty if the file was (so far) well formed.
     */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** The next frame, or {@code null} at the end of the file or after a failure. */
    public PcapFrame next() throws IOException {
        while (!done) {
            try {
                PcapFrame f = format == Format.PCAPNG ? nextBlock() : nextRecord();
                if (f != null) {
                    return f;
                }
            } catch (Broken b) {
                stop(b.getMessage());
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    // ------------------------------------------------------------------------------ file header

    private void readFileHeader() throws IOException {
        byte[] magic = readUpTo(4);
        if (magic.length < 4) {
            stop(magic.length == 0 ? "not a capture file: it is empty"
                    : "not a capture file: only " + magic.length + " bytes");
            return;
        }
        int be = ByteBuffer.wrap(magic).getInt();
        int le = ByteBuffer.wrap(magic).order(ByteOrder.LITTLE_ENDIAN).getInt();
        try {
            if (be == PCAPNG_SHB) {
                format = Format.PCAPNG;
                readSectionHeader(magic);
            } else if (be == PCAP_MAGIC_MICROS || be == PCAP_MAGIC_NANOS) {
                startClassic(ByteOrder.BIG_ENDIAN, be);
            } else if (le == PCAP_MAGIC_MICROS || le == PCAP_MAGIC_NANOS) {
                startClassic(ByteOrder.LITTLE_ENDIAN, le);
            } else {
                stop(String.format("not a pcap or pcapng file (starts with %02x %02x %02x %02x)",
                        magic[0], magic[1], magic[2], magic[3]));
            }
        } catch (Broken b) {
            stop(b.getMessage());
        }
    }

    private void startClassic(ByteOrder byteOrder, int magic) throws IOException {
        order = byteOrder;
        format = magic == PCAP_MAGIC_NANOS ? Format.PCAP_NANOS : Format.PCAP_MICROS;
        ByteBuffer h = buffer(readExactly(20, "pcap file header"));
        int major = h.getShort(0) & 0xFFFF;
        if (major != 2) {
            throw new Broken("unsupported pcap version " + major + "." + (h.getShort(2) & 0xFFFF));
        }
        // LinkType and additional information: the link type is the low 16 bits; the upper bits
        // may hold the FCS length, which we do not need (IP carries its own length).
        pcapLinkType = h.getInt(16) & 0xFFFF;
    }

    // ------------------------------------------------------------------------------ classic pcap

    private PcapFrame nextRecord() throws IOException {
        long recordOffset = offset;
        byte[] header = readUpTo(16);
        if (header.length == 0) {
            done = true;
            return null;
        }
        int index = nextIndex;
        if (header.length < 16) {
            throw new Broken("packet " + index + " at byte " + recordOffset
                    + ": record header cut short (" + header.length + " of 16 bytes)");
        }
        ByteBuffer h = buffer(header);
        long seconds = h.getInt(0) & 0xFFFFFFFFL;
        long fraction = h.getInt(4) & 0xFFFFFFFFL;
        long capLen = h.getInt(8) & 0xFFFFFFFFL;
        long origLen = h.getInt(12) & 0xFFFFFFFFL;
        if (capLen > MAX_RECORD) {
            throw new Broken("packet " + index + " at byte " + recordOffset
                    + ": captured length " + capLen + " is implausible");
        }
        byte[] data = readUpTo((int) capLen);
        if (data.length < capLen) {
            throw new Broken("packet " + index + " at byte " + recordOffset + ": cut short ("
                    + data.length + " of " + capLen + " bytes)");
        }
        long nanos = seconds * 1_000_000_000L + (format == Format.PCAP_NANOS ? fraction : fraction * 1000);
        nextIndex++;
        return frame(index, nanos, 0, pcapLinkType, data, origLen);
    }

    // ------------------------------------------------------------------------------ pcapng

    /** Reads blocks until one yields a packet; returns null for a block that is not a packet. */
    private PcapFrame nextBlock() throws IOException {
        long blockOffset = offset;
        byte[] head = readUpTo(8);
        if (head.length == 0) {
            done = true;
            return null;
        }
        if (head.length < 8) {
            throw new Broken("pcapng block at byte " + blockOffset + " cut short");
        }
        int type = buffer(head).getInt(0);
        if (type == PCAPNG_SHB) {
            readSectionHeader(head);
            return null;
        }
        long totalLength = buffer(head).getInt(4) & 0xFFFFFFFFL;
        byte[] body = readBlockBody(blockOffset, type, totalLength, 8);
        return switch (type) {
            case PCAPNG_IDB -> {
                interfaces.add(PcapNgInterface.parse(buffer(body)));
                yield null;
            }
            case PCAPNG_EPB -> enhancedPacket(buffer(body));
            case PCAPNG_SPB -> simplePacket(buffer(body));
            case PCAPNG_PB_OBSOLETE -> obsoletePacket(buffer(body));
            default -> null; // name resolution, statistics, secrets, custom: not needed here
        };
    }

    /**
     * Reads a Section Header Block whose first bytes (at least the 4-byte type) are in
     * {@code start}. Its byte-order magic fixes the byte order of the whole section.
     */
    private void readSectionHeader(byte[] start) throws IOException {
        long blockOffset = offset - start.length;
        byte[] head = new byte[12];
        System.arraycopy(start, 0, head, 0, start.length);
        byte[] rest = readExactly(12 - start.length, "pcapng section header");
        System.arraycopy(rest, 0, head, start.length, rest.length);
        int bom = ByteBuffer.wrap(head, 8, 4).getInt();
        if (bom == PCAPNG_BYTE_ORDER_MAGIC) {
            order = ByteOrder.BIG_ENDIAN;
        } else if (Integer.reverseBytes(bom) == PCAPNG_BYTE_ORDER_MAGIC) {
            order = ByteOrder.LITTLE_ENDIAN;
        } else {
            throw new Broken(String.format(
                    "pcapng section header at byte %d has a bad byte-order magic 0x%08x", blockOffset, bom));
        }
        long totalLength = buffer(head).getInt(4) & 0xFFFFFFFFL;
        byte[] body = readBlockBody(blockOffset, PCAPNG_SHB, totalLength, 12);
        if (body.length < 4) {
            throw new Broken("pcapng section header at byte " + blockOffset + " is too short");
        }
        int major = buffer(body).getShort(0) & 0xFFFF;
        if (major != 1) {
            throw new Broken("unsupported pcapng version " + major + " at byte " + blockOffset);
        }
        interfaces.clear();
    }

    /**
     * Reads the rest of a block after {@code alreadyRead} bytes, checks the trailing copy of its
     * length, and returns the bytes between the fixed head and that trailer.
     */
    private byte[] readBlockBody(long blockOffset, int type, long totalLength, int alreadyRead)
            throws IOException {
        if (totalLength < alreadyRead + 4 || totalLength % 4 != 0 || totalLength > MAX_RECORD) {
            throw new Broken(String.format("pcapng block 0x%08x at byte %d has a bad length %d",
                    type, blockOffset, totalLength));
        }
        String what = String.format("pcapng block 0x%08x at byte %d", type, blockOffset);
        byte[] body = readExactly((int) totalLength - alreadyRead - 4, what);
        long trailer = buffer(readExactly(4, what)).getInt(0) & 0xFFFFFFFFL;
        if (trailer != totalLength) {
            throw new Broken(what + ": trailing length " + trailer + " differs from " + totalLength);
        }
        return body;
    }

    private PcapFrame enhancedPacket(ByteBuffer b) {
        int index = nextIndex++;
        if (b.remaining() < 20) {
            return damaged(index, "enhanced packet block too short");
        }
        int ifId = b.getInt(0);
        long ticks = ((b.getInt(4) & 0xFFFFFFFFL) << 32) | (b.getInt(8) & 0xFFFFFFFFL);
        long capLen = b.getInt(12) & 0xFFFFFFFFL;
        long origLen = b.getInt(16) & 0xFFFFFFFFL;
        return packet(index, ifId, ticks, b, 20, capLen, origLen);
    }

    private PcapFrame obsoletePacket(ByteBuffer b) {
        int index = nextIndex++;
        if (b.remaining() < 20) {
            return damaged(index, "packet block too short");
        }
        int ifId = b.getShort(0) & 0xFFFF;
        long ticks = ((b.getInt(4) & 0xFFFFFFFFL) << 32) | (b.getInt(8) & 0xFFFFFFFFL);
        long capLen = b.getInt(12) & 0xFFFFFFFFL;
        long origLen = b.getInt(16) & 0xFFFFFFFFL;
        return packet(index, ifId, ticks, b, 20, capLen, origLen);
    }

    /** A Simple Packet Block: interface 0, no timestamp, captured length implied by the block. */
    private PcapFrame simplePacket(ByteBuffer b) {
        int index = nextIndex++;
        if (b.remaining() < 4) {
            return damaged(index, "simple packet block too short");
        }
        if (interfaces.isEmpty()) {
            return damaged(index, "simple packet block before any interface description");
        }
        long origLen = b.getInt(0) & 0xFFFFFFFFL;
        long capLen = Math.min(origLen, b.remaining() - 4);
        if (interfaces.get(0).snapLen() != 0) {
            capLen = Math.min(capLen, interfaces.get(0).snapLen());
        }
        byte[] data = new byte[(int) capLen];
        b.get(4, data);
        return frame(index, 0, 0, interfaces.get(0).linkType(), data, origLen);
    }

    private PcapFrame packet(int index, int ifId, long ticks, ByteBuffer b, int dataOffset,
                             long capLen, long origLen) {
        if (ifId < 0 || ifId >= interfaces.size()) {
            return damaged(index, "interface id " + Integer.toUnsignedString(ifId)
                    + " was not described in this section");
        }
        PcapNgInterface itf = interfaces.get(ifId);
        long available = b.remaining() - dataOffset;
        if (capLen > available) {
            return damaged(index, "block claims " + capLen + " captured bytes but holds " + available);
        }
        byte[] data = new byte[(int) capLen];
        b.get(dataOffset, data);
        return frame(index, itf.toNanos(ticks), ifId, itf.linkType(), data, origLen);
    }

    // ------------------------------------------------------------------------------ helpers

    private static PcapFrame frame(int index, long nanos, int ifId, int linkType, byte[] data,
                                   long origLen) {
        int orig = (int) Math.min(origLen, Integer.MAX_VALUE);
        return new PcapFrame(index, nanos, ifId, linkType, data, orig,
                PcapLinkReader.locate(linkType, data));
    }

    /** A packet block whose contents cannot be used; it keeps its number so later ones stay right. */
    private static PcapFrame damaged(int index, String reason) {
        return new PcapFrame(index, 0, -1, -1, new byte[0], 0,
                new PcapFrame.NotIp("damaged packet block: " + reason));
    }

    private ByteBuffer buffer(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(order);
    }

    private void stop(String reason) {
        failure = reason;
        done = true;
    }

    private byte[] readExactly(int n, String what) throws IOException {
        byte[] b = readUpTo(n);
        if (b.length < n) {
            throw new Broken(what + " cut short (" + b.length + " of " + n + " bytes)");
        }
        return b;
    }

    /** Reads {@code n} bytes, fewer only at the end of the file. */
    private byte[] readUpTo(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        offset += b.length;
        return b;
    }

    /** Internal signal that the file's structure broke; turned into {@link #failure()}. */
    private static final class Broken extends RuntimeException {
        Broken(String message) {
            super(message, null, false, false);
        }
    }
}
