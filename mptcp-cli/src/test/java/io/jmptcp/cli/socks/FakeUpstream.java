package io.jmptcp.cli.socks;

import io.jmptcp.cli.daemon.Endpoint;
import io.jmptcp.cli.daemon.FakeEndpoint;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/** An upstream for tests: records every CONNECT and answers as the test says. */
final class FakeUpstream implements Upstream {
    record Dial(String host, int port, CompletableFuture<Endpoint> result) {
    }

    final List<Dial> dials = new CopyOnWriteArrayList<>();
    /** How to answer; null leaves the future pending for the test to complete. */
    volatile BiFunction<String, Integer, CompletableFuture<Endpoint>> answer =
            (h, p) -> CompletableFuture.completedFuture(new FakeEndpoint(true, 1 << 20));

    @Override
    public CompletableFuture<Endpoint> connect(String host, int port) {
        CompletableFuture<Endpoint> f = answer == null ? new CompletableFuture<>() : answer.apply(host, port);
        dials.add(new Dial(host, port, f));
        return f;
    }

    static CompletableFuture<Endpoint> failing(UpstreamException.Reason r) {
        return CompletableFuture.failedFuture(new UpstreamException(r, "test: " + r));
    }
}
