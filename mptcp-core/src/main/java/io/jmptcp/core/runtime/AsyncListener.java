package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.Connection;
import java.io.Closeable;
import java.io.IOException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The non-blocking listening socket: connections to {@code port} on every stack address are
 * handed to {@code onAccept} on the loop thread (stack lock held) as soon as their handshake
 * completed. The callee sets the connection's readiness callback and must not block.
 */
public final class AsyncListener implements Closeable {
    private final Stack stack;
    private final Stack.Listener listener;
    private final Consumer<AsyncConnection> onAccept;

    public AsyncListener(Stack stack, int port, int backlog, Consumer<AsyncConnection> onAccept) throws IOException {
        this.stack = Objects.requireNonNull(stack, "stack");
        this.onAccept = Objects.requireNonNull(onAccept, "onAccept");
        stack.lock.lock();
        try {
            this.listener = stack.listen(port, backlog);
            stack.setAcceptReadiness(listener, this::drain);
        } finally {
            stack.lock.unlock();
        }
    }

    public int port() {
        return listener.port;
    }

    /** Loop thread, lock held: hands out every connection that finished its handshake. */
    private void drain() {
        if (listener.closed) {
            return;
        }
        Connection c;
        while ((c = stack.pollAccepted(listener)) != null) {
            onAccept.accept(new AsyncConnection(stack, c));
        }
    }

    /** Stops listening; connections not yet accepted are aborted. Idempotent. */
    @Override
    public void close() {
        stack.lock.lock();
        try {
            if (!listener.closed) {
                stack.unlisten(listener);
            }
        } finally {
            stack.lock.unlock();
        }
    }
}
