package io.jmptcp.core.tcp;

import java.net.InetAddress;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The addresses of one TCP connection (RFC 9293 section 3.3.1). Segments do not carry addresses;
 * the runtime demultiplexes by this tuple. Constructing an {@link InetAddress} from bytes does no I/O.
 */
public record FourTuple(InetAddress localAddress, int localPort, InetAddress remoteAddress, int remotePort) {
    public FourTuple {
        Objects.requireNonNull(localAddress, "localAddress");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        if ((localPort & ~0xFFFF) != 0 || (remotePort & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("port out of range");
        }
    }

    /** Feeds the tuple to a digest: local address, local port, remote address, remote port (ports big-endian). */
    public void updateDigest(MessageDigest md) {
        md.update(localAddress.getAddress());
        md.update((byte) (localPort >> 8));
        md.update((byte) localPort);
        md.update(remoteAddress.getAddress());
        md.update((byte) (remotePort >> 8));
        md.update((byte) remotePort);
    }

    /** The same connection seen from the other end. */
    public FourTuple reversed() {
        return new FourTuple(remoteAddress, remotePort, localAddress, localPort);
    }
}
