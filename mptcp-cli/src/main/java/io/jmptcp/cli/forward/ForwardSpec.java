package io.jmptcp.cli.forward;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** One {@code --forward PORT=HOST:PORT}: listen on the stack at {@code port}, relay to {@code target}. */
public record ForwardSpec(int port, String host, int targetPort) {

    /** Parses {@code PORT=HOST:PORT} ({@code [v6]:PORT} for IPv6). */
    public static ForwardSpec parse(String s) {
        int eq = s.indexOf('=');
        int colon = s.lastIndexOf(':');
        if (eq < 1 || colon < eq + 2 || colon == s.length() - 1) {
            throw new IllegalArgumentException("--forward needs PORT=HOST:PORT, got '" + s + "'");
        }
        String host = s.substring(eq + 1, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new ForwardSpec(port(s.substring(0, eq), s), host, port(s.substring(colon + 1), s));
    }

    private static int port(String p, String whole) {
        try {
            int n = Integer.parseInt(p);
            if (n >= 1 && n <= 65535) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("--forward: bad port '" + p + "' in '" + whole + "'");
    }

    /** The target, resolved once at start-up. */
    public InetSocketAddress resolve() throws UnknownHostException {
        return new InetSocketAddress(InetAddress.getByName(host), targetPort);
    }

    @Override
    public String toString() {
        return port + "=" + (host.contains(":") ? "[" + host + "]" : host) + ":" + targetPort;
    }
}
