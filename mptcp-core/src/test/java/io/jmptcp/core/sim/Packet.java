package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.Segment;

/**
 * A segment in flight on a simulated path. {@code path} identifies the path (the 4-tuple of a
 * subflow in the MPTCP tests); {@code size} is the bytes on the wire, IP header included.
 */
public record Packet(int path, Segment segment, int size) {
    /** IPv4 (20) + TCP (20) + options + payload. */
    public static Packet ipv4(int path, Segment s) {
        return new Packet(path, s, 40 + s.optionsLength() + s.length());
    }
}
