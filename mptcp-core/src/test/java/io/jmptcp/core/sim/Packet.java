package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;

/**
 * A segment in flight on a simulated path. {@code path} identifies the link it was sent on and
 * {@code tuple} the sending connection's 4-tuple (as the sender sees it), so a host with several
 * subflows can demultiplex; {@code size} is the bytes on the wire, IP header included.
 */
public record Packet(int path, FourTuple tuple, Segment segment, int size) {
    /** IPv4 (20) + TCP (20) + options + payload. */
    public static Packet ipv4(int path, FourTuple tuple, Segment s) {
        return new Packet(path, tuple, s, 40 + s.optionsLength() + s.length());
    }
}
