package io.jmptcp.cli.socks;

import io.jmptcp.cli.daemon.Endpoint;
import io.jmptcp.cli.daemon.StackEndpoint;
import io.jmptcp.core.runtime.AsyncConnection;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.runtime.Stack;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * CONNECTs over the jmptcp stack. Domain names are resolved here (on a small, bounded executor:
 * the JDK resolver blocks); the first address of the family the stack has is used. The connect is
 * given up after {@code connectTimeoutMillis}.
 */
public final class StackUpstream implements Upstream {
    private final Stack stack;
    private final Executor resolver;
    private final long connectTimeoutMillis;
    private final boolean hasV4;
    private final boolean hasV6;

    public StackUpstream(Stack stack, Executor resolver, long connectTimeoutMillis) {
        this.stack = stack;
        this.resolver = resolver;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.hasV4 = stack.localAddresses().stream().anyMatch(a -> !(a instanceof Inet6Address));
        this.hasV6 = stack.localAddresses().stream().anyMatch(a -> a instanceof Inet6Address);
    }

    @Override
    public CompletableFuture<Endpoint> connect(String host, int port) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        if (literal != null) {
            try {
                return dial(InetAddress.getByAddress(literal), port);
            } catch (UnknownHostException e) {
                return failed(UpstreamException.Reason.GENERAL, e.toString());
            }
        }
        return CompletableFuture.supplyAsync(() -> resolve(host), resolver).thenCompose(a -> dial(a, port));
    }

    private InetAddress resolve(String host) {
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new java.util.concurrent.CompletionException(
                    new UpstreamException(UpstreamException.Reason.HOST_UNREACHABLE, "cannot resolve " + host));
        }
        for (InetAddress a : all) {
            if (usable(a)) {
                return a;
            }
        }
        throw new java.util.concurrent.CompletionException(new UpstreamException(
                UpstreamException.Reason.NETWORK_UNREACHABLE, host + " has no address of the stack's family"));
    }

    private boolean usable(InetAddress a) {
        return a instanceof Inet6Address ? hasV6 : hasV4;
    }

    private CompletableFuture<Endpoint> dial(InetAddress a, int port) {
        if (!usable(a)) {
            return failed(UpstreamException.Reason.NETWORK_UNREACHABLE,
                    "the stack has no " + (a instanceof Inet6Address ? "IPv6" : "IPv4") + " address for " + a.getHostAddress());
        }
        CompletableFuture<Endpoint> f = new CompletableFuture<>();
        AtomicReference<StackEndpoint> ep = new AtomicReference<>();
        AsyncConnection c;
        try {
            c = AsyncConnection.connect(stack, new InetSocketAddress(a, port), () -> {
                StackEndpoint e = ep.get();
                if (e == null) {
                    return;
                }
                if (!f.isDone()) {
                    settle(f, e);
                }
                e.fire();
            });
        } catch (java.io.IOException e) {
            return failed(UpstreamException.Reason.GENERAL, e.getMessage());
        }
        StackEndpoint e = StackEndpoint.adopt(c);
        ep.set(e);
        settle(f, e);
        f.orTimeout(connectTimeoutMillis, TimeUnit.MILLISECONDS).whenComplete((ok, err) -> {
            if (err instanceof TimeoutException) {
                c.abort();
            }
        });
        return f.handle((ok, err) -> {
            if (err instanceof TimeoutException) {
                throw new java.util.concurrent.CompletionException(new UpstreamException(
                        UpstreamException.Reason.TIMEOUT, "no answer from " + a.getHostAddress() + ":" + port
                        + " within " + connectTimeoutMillis + " ms"));
            }
            if (err != null) {
                throw err instanceof java.util.concurrent.CompletionException ce ? ce
                        : new java.util.concurrent.CompletionException(err);
            }
            return ok;
        });
    }

    /** Completes {@code f} once the handshake ended either way. */
    private static void settle(CompletableFuture<Endpoint> f, StackEndpoint e) {
        AsyncConnection c = e.connection();
        Failure failure = c.failure(); // also STACK_STOPPED once the stack stopped
        if (failure != null) {
            f.completeExceptionally(classify(failure));
            return;
        }
        Connection.State s = c.state();
        if (s == Connection.State.ESTABLISHED) {
            f.complete(e);
        } else if (s == Connection.State.CLOSED) {
            f.completeExceptionally(new UpstreamException(UpstreamException.Reason.GENERAL,
                    "the connection closed during the handshake"));
        }
    }

    /** The SOCKS reply class (RFC 1928 section 6) for why the stack's connection failed. */
    static UpstreamException classify(Failure failure) {
        UpstreamException.Reason r = switch (failure.kind()) {
            case REFUSED -> UpstreamException.Reason.REFUSED;
            case TIMEOUT -> UpstreamException.Reason.TIMEOUT;
            case RESET, FASTCLOSE, ABORTED, PROTOCOL_ERROR, STACK_STOPPED -> UpstreamException.Reason.GENERAL;
        };
        return new UpstreamException(r, failure.detail());
    }

    private static CompletableFuture<Endpoint> failed(UpstreamException.Reason r, String m) {
        return CompletableFuture.failedFuture(new UpstreamException(r, m));
    }
}
