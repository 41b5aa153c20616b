package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;

/**
 * A segment in flight on a simulated path. {@code path} identifies the path (the 4-tuple of a
 * subflow in the MPTCP tests); {@code size} is the bytes on the wire, IP header included.
 */
public record Packet(int path, Segment segment, int size, FourTuple tuple) {
    public Packet(int path, Segment segment, int size) {
        this(path, segment, size, null);
    }

    /** A segment of the subflow with this 4-tuple (sender's view), IPv4 or IPv6 by its addresses. */
    public static Packet of(int path, FourTuple tuple, Segment s) {
        int ip = tuple.localAddress() instanceof java.net.Inet6Address ? 40 : 20;
        return new Packet(path, s, ip + 20 + s.optionsLength() + s.length(), tuple);
    }

    /** The same packet with another segment (a middlebox rewrote it). */
    public Packet with(Segment s) {
        return new Packet(path, s, size - segment.optionsLength() + s.optionsLength(), tuple);
    }

    /** IPv4 (20) + TCP (20) + options + payload. */
    public static Packet ipv4(int path, Segment s) {
        return new Packet(path, s, 40 + s.optionsLength() + s.length());
    }
}
