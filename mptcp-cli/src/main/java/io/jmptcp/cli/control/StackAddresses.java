package io.jmptcp.cli.control;

import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.runtime.Stack;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@link AddressControl} on a running {@link Stack}: a new address is routed to the stack's device
 * first (so the peer's answers to its joins can arrive), then given to the stack; a removed one
 * leaves the stack first (its subflows close, REMOVE_ADDR goes out on the others), then loses its
 * route. Changes are serialised, so two control clients cannot interleave a route and a stack
 * change.
 */
public final class StackAddresses implements AddressControl {

    /** How a stack address reaches the stack's device: the host route on a TUN device. */
    public interface Routes {
        /** Nothing to route: the stack's I/O is not a device of the host (in-memory links). */
        Routes NONE = new Routes() {
            @Override
            public void add(InetAddress a) {
            }

            @Override
            public void remove(InetAddress a) {
            }
        };

        void add(InetAddress a) throws IOException;

        void remove(InetAddress a) throws IOException;
    }

    private static final Pattern IP_LITERAL = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*");

    private final Stack stack;
    private final Routes routes;

    public StackAddresses(Stack stack, Routes routes) {
        this.stack = stack;
        this.routes = routes;
    }

    /** The stack's addresses without routes (a stack on an in-memory link). */
    public static StackAddresses of(Stack stack) {
        return new StackAddresses(stack, Routes.NONE);
    }

    /**
     * Parses an address for the stack: an IPv4 or IPv6 literal (never a name: no DNS lookup), and
     * one a host can own (not the unspecified, a loopback, a multicast or the broadcast address).
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static InetAddress parse(String text) {
        InetAddress a = null;
        if (IP_LITERAL.matcher(text).matches()) {
            try {
                a = InetAddress.getByName(text);
            } catch (java.net.UnknownHostException e) {
                a = null;
            }
        }
        if (a == null) {
            throw new IllegalArgumentException("not an IP address: '" + text + "'");
        }
        boolean broadcast = a instanceof java.net.Inet4Address && a.getHostAddress().equals("255.255.255.255");
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isMulticastAddress() || broadcast) {
            throw new IllegalArgumentException(a.getHostAddress() + " cannot be a stack address (unspecified, "
                    + "loopback, multicast or broadcast)");
        }
        return a;
    }

    @Override
    public List<Endpoint> endpoints() {
        return stack.endpoints();
    }

    @Override
    public synchronized Endpoint add(InetAddress address, int flags) throws IOException {
        new Endpoint(address, 1, flags); // the flag rules, checked before the host is touched
        boolean fresh = find(address) == null;
        if (fresh) {
            routes.add(address);
        }
        try {
            return stack.addAddress(address, flags);
        } catch (RuntimeException e) {
            if (fresh) {
                try {
                    routes.remove(address);
                } catch (IOException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    @Override
    public synchronized Endpoint remove(InetAddress address) throws IOException {
        Endpoint e = find(address);
        if (e == null || !stack.removeAddress(address)) {
            return null;
        }
        try {
            routes.remove(address);
        } catch (IOException x) {
            throw new IOException(address.getHostAddress() + " left the stack, but its host route could not be removed: "
                    + x.getMessage(), x);
        }
        return e;
    }

    private Endpoint find(InetAddress a) {
        for (Endpoint e : stack.endpoints()) {
            if (e.address().equals(a)) {
                return e;
            }
        }
        return null;
    }
}
