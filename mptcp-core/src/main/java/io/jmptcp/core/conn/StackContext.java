package io.jmptcp.core.conn;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.pm.Endpoint;
import java.net.InetAddress;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What the runtime offers connections: addresses, ports, the demultiplexing table, ISNs, randomness
 * and counters. Only the event loop calls it.
 */
public interface StackContext {
    /** The stack's own addresses; the first carries the initial subflow of outgoing connections. */
    List<InetAddress> localAddresses();

    /** The stack's addresses with their path-manager flags, in the order of {@link #localAddresses}. */
    List<Endpoint> endpoints();

    /**
     * The largest IP packet the stack's I/O carries: connections clamp their MSS to it (RFC 9293
     * 3.7.1: MTU minus 40 for IPv4, minus 60 for IPv6). The default is for contexts without a device.
     */
    default int mtu() {
        return 1500;
    }

    /** A free local port for a new subflow from {@code local} to the given remote endpoint. */
    int ephemeralPort(InetAddress local, InetAddress remote, int remotePort);

    /** Routes the packets of this 4-tuple (local address first) to the connection. */
    void bind(FourTuple tuple, Connection connection);

    /** Stops routing this 4-tuple; later packets for it get a RST as for a closed port. */
    void unbind(FourTuple tuple);

    /** RFC 6528 ISNs and RFC 7323 timestamp offsets. */
    IsnGenerator isn();

    /** Random 64-bit values (keys, nonces): a SecureRandom in production, seeded in tests. */
    LongSupplier random();

    /** The stack's counters. */
    Mib mib();
}
