package io.jmptcp.cli.control;

import io.jmptcp.core.pm.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/**
 * The stack's addresses as the control socket's {@code addr} commands change them (like Linux's
 * {@code ip mptcp endpoint}). The daemon's implementation is {@link StackAddresses}: the stack's
 * endpoints, plus the host route of each address on the TUN device; tests may fake it.
 */
public interface AddressControl {

    /** The stack's endpoints now, in the order they were added. */
    List<Endpoint> endpoints();

    /**
     * Adds {@code address} with {@code flags} ({@link Endpoint} flags), or changes the flags of an
     * address the stack has.
     *
     * @return the endpoint as it is now
     * @throws IllegalArgumentException flags that cannot go together
     * @throws IllegalStateException    no address id left
     * @throws IOException              the address cannot be routed to the stack (in use, refused)
     */
    Endpoint add(InetAddress address, int flags) throws IOException;

    /**
     * Removes {@code address} from the stack: its subflows close and peers get REMOVE_ADDR.
     *
     * @return the endpoint it had, or null if the stack does not have the address
     * @throws IllegalArgumentException for the stack's last address
     * @throws IOException              removed from the stack, but its route could not be removed
     */
    Endpoint remove(InetAddress address) throws IOException;
}
