package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;

/**
 * A segment in flight on a simulated path. {@code path} identifies the link it was sent on and
 * {@code tuple} the sending connection's 4-tuple (as the sender sees it), so a host with several
 * subflows can demultiplex; {@code size} is the bytes on the wire, IP header included.
 */
public record Packet(int path, FourTuple tuple, Segment segment, int size) {

    /** A segment of the subflow with this 4-tuple (sender's view), IPv4 or IPv6 by its addresses. */
    public static Packet of(int path, FourTuple tuple, Segment s) {
        int ip = tuple.localAddress() instanceof java.net.Inet6Address ? 40 : 20;
        return new Packet(path, tuple, s, ip + 20 + s.optionsLength() + s.length());
    }

    /** The same packet with another segment (a middlebox rewrote it). */
    public Packet with(Segment s) {
        return new Packet(path, tuple, s, size - segment.optionsLength() + s.optionsLength());
    }
}
