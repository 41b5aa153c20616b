package io.jmptcp.cli.socks;

import io.jmptcp.cli.daemon.Endpoint;
import java.util.concurrent.CompletableFuture;

/**
 * Where a SOCKS CONNECT goes: the jmptcp stack in production, a fake in tests. Completes with a
 * connected {@link Endpoint} or fails with an {@link UpstreamException} that says why.
 */
public interface Upstream {
    /**
     * Opens a connection to {@code host} (an IPv4 or IPv6 literal, or a domain name the upstream
     * resolves) and {@code port}.
     */
    CompletableFuture<Endpoint> connect(String host, int port);
}
