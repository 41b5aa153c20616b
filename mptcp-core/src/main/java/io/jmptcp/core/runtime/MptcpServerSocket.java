package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.Connection;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.util.Objects;

/**
 * A listening socket on a {@link Stack}: takes connections to {@code port} on every stack address
 * (SYNs are handed to the stack's connection factory), queues them until the handshake completes,
 * and hands them out with {@link #accept()}.
 */
public final class MptcpServerSocket implements Closeable {
    /** Default accept queue length (Linux somaxconn is 4096; a single-process stack needs less). */
    public static final int DEFAULT_BACKLOG = 128;

    private final Stack stack;
    private final Stack.Listener listener;

    public MptcpServerSocket(Stack stack, int port) throws IOException {
        this(stack, port, DEFAULT_BACKLOG);
    }

    /** Listens on {@code port}; at most {@code backlog} connections wait to be accepted. */
    public MptcpServerSocket(Stack stack, int port, int backlog) throws IOException {
        this.stack = Objects.requireNonNull(stack, "stack");
        stack.lock.lock();
        try {
            this.listener = stack.listen(port, backlog);
        } finally {
            stack.lock.unlock();
        }
    }

    public int port() {
        return listener.port;
    }

    /** Waits for an established connection. */
    public MptcpSocket accept() throws IOException {
        stack.lock.lock();
        try {
            while (true) {
                if (listener.closed) {
                    throw new SocketException("server socket closed");
                }
                Connection c = stack.pollAccepted(listener);
                if (c != null) {
                    return new MptcpSocket(stack, c);
                }
                stack.checkRunning();
                stack.changed.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while accepting");
        } finally {
            stack.lock.unlock();
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
