package io.jmptcp.core.tcp;

import java.net.InetAddress;
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

    /** The same connection seen from the other end. */
    public FourTuple reversed() {
        return new FourTuple(remoteAddress, remotePort, localAddress, localPort);
    }
}
