package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.PacketParse;
import java.nio.ByteBuffer;

/**
 * An IP packet in flight on a simulated path: the bytes a stack's engine emitted, as a TUN device
 * would carry them. {@code path} identifies the link it was sent on; {@code size} is the bytes on
 * the wire (the packet's length unless a test gives another). Taps and middleboxes read the TCP
 * segment and the sender's 4-tuple through {@link #segment()} and {@link #tuple()}, decoded from
 * the bytes on first use.
 */
public final class Packet {
    private final int path;
    private final byte[] bytes;
    private final int size;
    private FourTuple tuple;
    private Segment segment;

    public Packet(int path, byte[] bytes) {
        this(path, bytes, bytes.length);
    }

    /** A packet that occupies {@code size} bytes on the wire whatever its length (link tests). */
    public Packet(int path, byte[] bytes, int size) {
        this.path = path;
        this.bytes = bytes;
        this.size = size;
    }

    /** Encodes a segment of the subflow with this 4-tuple (sender's view), IPv4 or IPv6 by its addresses. */
    public static Packet of(int path, FourTuple tuple, Segment s) {
        return new Packet(path, encode(tuple, s));
    }

    /** The IP packet (checksums filled) carrying {@code s} from {@code tuple}'s local end to its remote end. */
    public static byte[] encode(FourTuple tuple, Segment s) {
        ByteBuffer out = ByteBuffer.allocate(65535);
        int n = IpPacketCodec.emit(out, 0, tuple.localAddress(), tuple.remoteAddress(), 64, s.header(),
                ByteBuffer.wrap(s.data()), s.offset(), s.length());
        byte[] b = new byte[n];
        out.get(0, b, 0, n);
        return b;
    }

    /**
     * The same packet with another segment (a middlebox rewrote it); the checksums are computed
     * again, as a middlebox that rewrites segments does.
     */
    public Packet with(Segment s) {
        return of(path, tuple(), s);
    }

    /** The same bytes on another path. */
    public Packet onPath(int p) {
        Packet x = new Packet(p, bytes, size);
        x.tuple = tuple;
        x.segment = segment;
        return x;
    }

    public int path() {
        return path;
    }

    /** The IP packet; not to be modified. */
    public byte[] bytes() {
        return bytes;
    }

    public int size() {
        return size;
    }

    /** The sender's 4-tuple: source address and port first. */
    public FourTuple tuple() {
        decode();
        return tuple;
    }

    /** The TCP segment; its payload shares the packet's bytes. */
    public Segment segment() {
        decode();
        return segment;
    }

    private void decode() {
        if (segment != null) {
            return;
        }
        PacketParse parsed = IpPacketCodec.parse(ByteBuffer.wrap(bytes), 0, bytes.length);
        if (!(parsed instanceof PacketParse.Tcp p)) {
            throw new IllegalStateException("not a TCP packet: " + parsed);
        }
        var h = p.header();
        tuple = new FourTuple(p.src(), h.srcPort(), p.dst(), h.dstPort());
        segment = new Segment(h, bytes, p.payloadOffset(), p.payloadLength());
    }

    @Override
    public String toString() {
        return "Packet[path=" + path + " " + tuple() + " " + segment() + "]";
    }
}
