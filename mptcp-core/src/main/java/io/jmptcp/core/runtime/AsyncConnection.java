package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The non-blocking side of the socket API: a connection on a {@link Stack} whose calls never wait,
 * plus a readiness callback the event loop runs after every round in which the connection changed
 * (bytes arrived, the send buffer drained, the state moved on) and once when the stack stops.
 * Backpressure both ways falls out of the buffers: {@link #write} takes only what fits, and bytes
 * not {@link #read} stay in the receive buffer, which closes the advertised window.
 *
 * <p>Every method takes the stack's lock; the callback runs on the loop thread with that lock held,
 * so it may call these methods but must not block.
 */
public final class AsyncConnection {
    private final Stack stack;
    private final Connection conn;
    private final long id;
    private boolean outputShut;

    AsyncConnection(Stack stack, Connection conn) {
        this.stack = stack;
        this.conn = conn;
        this.id = stack.idOf(conn);
    }

    /**
     * Starts an active open to {@code remote}; {@code readiness} runs once the handshake completed
     * or failed and after every later change.
     *
     * @throws ConnectException when the stack cannot start the attempt (no free port, stopped stack)
     */
    public static AsyncConnection connect(Stack stack, InetSocketAddress remote, Runnable readiness)
            throws IOException {
        return connect(stack, remote, ConnectionOptions.DEFAULTS, readiness);
    }

    /** As {@link #connect(Stack, InetSocketAddress, Runnable)}, with per-connection settings. */
    public static AsyncConnection connect(Stack stack, InetSocketAddress remote, ConnectionOptions options,
                                          Runnable readiness) throws IOException {
        Objects.requireNonNull(readiness, "readiness");
        stack.lock.lock();
        try {
            Connection c;
            try {
                c = stack.connect(remote, options);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new ConnectException("cannot connect to " + remote + ": " + e.getMessage());
            }
            stack.setReadiness(c, readiness);
            return new AsyncConnection(stack, c);
        } finally {
            stack.lock.unlock();
        }
    }

    /** Sets the callback of an accepted connection (or replaces it; null removes it). */
    public void setReadiness(Runnable readiness) {
        stack.lock.lock();
        try {
            stack.setReadiness(conn, readiness);
        } finally {
            stack.lock.unlock();
        }
    }

    /** The stack's id of this connection, as in {@link Stack#connectionsById()}. */
    public long id() {
        return id;
    }

    /** Reads in-order bytes: 0 when none are ready, -1 at end of stream (or once closed/failed with nothing left). */
    public int read(byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        stack.lock.lock();
        try {
            int n = conn.read(dst, off, len);
            if (n > 0) {
                stack.touch(conn); // the read may open the window: let the loop announce it
                return n;
            }
            if (n == 0 && (conn.state() == Connection.State.CLOSED || conn.state() == Connection.State.FAILED)) {
                return -1;
            }
            return n;
        } finally {
            stack.lock.unlock();
        }
    }

    /** Queues bytes for sending: how many fit (0 while connecting, when full or after shutdownOutput). */
    public int write(byte[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        stack.lock.lock();
        try {
            if (outputShut || conn.state() != Connection.State.ESTABLISHED) {
                return 0;
            }
            int n = conn.write(src, off, len);
            if (n > 0) {
                stack.touch(conn);
            }
            return n;
        } finally {
            stack.lock.unlock();
        }
    }

    /** Bytes ready to read. */
    public long readable() {
        stack.lock.lock();
        try {
            return conn.readable();
        } finally {
            stack.lock.unlock();
        }
    }

    /** Room in the send buffer. */
    public long writable() {
        stack.lock.lock();
        try {
            return outputShut ? 0 : conn.writable();
        } finally {
            stack.lock.unlock();
        }
    }

    /** FIN (DATA_FIN) after the queued bytes. Idempotent. */
    public void shutdownOutput() {
        stack.lock.lock();
        try {
            if (!outputShut) {
                outputShut = true;
                conn.shutdownOutput();
                stack.touch(conn);
            }
        } finally {
            stack.lock.unlock();
        }
    }

    /** Graceful close of both directions; queued bytes are still delivered. */
    public void close() {
        stack.lock.lock();
        try {
            outputShut = true;
            conn.close();
            stack.touch(conn);
        } finally {
            stack.lock.unlock();
        }
    }

    /** Abortive close (RST, or MP_FASTCLOSE for MPTCP); the readiness callback is dropped. */
    public void abort() {
        stack.lock.lock();
        try {
            outputShut = true;
            stack.setReadiness(conn, null);
            conn.abort();
            stack.touch(conn);
        } finally {
            stack.lock.unlock();
        }
    }

    public Connection.State state() {
        stack.lock.lock();
        try {
            return conn.state();
        } finally {
            stack.lock.unlock();
        }
    }

    /** Why the connection failed ({@code REFUSED} "connection refused", {@code TIMEOUT} ...), or null. */
    public Failure failure() {
        stack.lock.lock();
        try {
            return conn.failure();
        } finally {
            stack.lock.unlock();
        }
    }

    /** Whether the stack still runs; once it stopped nothing will change any more. */
    public boolean stackRunning() {
        return stack.isRunning();
    }

    public ConnectionInfo info() {
        stack.lock.lock();
        try {
            return conn.info();
        } finally {
            stack.lock.unlock();
        }
    }
}
