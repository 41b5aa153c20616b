package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.Failure;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;

/**
 * One application connection on a {@link Stack}, shared by the blocking ({@link MptcpSocket}) and
 * the non-blocking ({@link AsyncConnection}) API, so that both follow one set of rules. Every
 * method takes the stack's lock, tells the loop about changes ({@link Stack#touch}), and checks
 * state and failure the same way:
 * <ul>
 *   <li>bytes already received are read first, whatever happened since;</li>
 *   <li>then read returns -1 only at a clean end of stream (the peer's FIN, everything read);</li>
 *   <li>on a failed connection, or once the stack stopped, read and write throw
 *       {@link ConnectionFailedException} carrying the {@link Failure}: a reset never looks like
 *       end of stream;</li>
 *   <li>after the local {@link #close} or {@link #abort}, read and write throw
 *       {@link SocketException} "socket closed"; write after {@link #shutdownOutput} throws
 *       "socket output is shut down", write after a clean close "connection closed";</li>
 *   <li>close, abort and shutdownOutput are idempotent.</li>
 * </ul>
 * The blocking flavour of read and write waits where the non-blocking one returns 0.
 */
final class ConnectionHandle {
    private final Stack stack;
    /** Null until {@link #connect}; then fixed. */
    private Connection conn;
    private boolean outputShut;
    private boolean closed;

    /** Unconnected (a blocking socket before connect). */
    ConnectionHandle(Stack stack) {
        this.stack = stack;
    }

    /** An accepted or already opened connection. */
    ConnectionHandle(Stack stack, Connection conn) {
        this.stack = stack;
        this.conn = conn;
    }

    /**
     * Starts the active open; {@code readiness} (may be null) is registered before the loop can
     * see the connection. Returns the stack's id of the connection.
     *
     * @throws ConnectException when the stack's connections cannot take a setting or a port
     */
    long open(InetSocketAddress remote, ConnectionOptions options, Runnable readiness) throws IOException {
        stack.lock.lock();
        try {
            openLocked(remote, options);
            if (readiness != null) {
                stack.setReadiness(conn, readiness);
            }
            return stack.idOf(conn);
        } finally {
            stack.lock.unlock();
        }
    }

    private void openLocked(InetSocketAddress remote, ConnectionOptions options) throws IOException {
        if (conn != null) {
            throw new SocketException("already connected");
        }
        if (closed) {
            throw new SocketException("socket closed");
        }
        try {
            conn = stack.connect(remote, options);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConnectException("cannot connect to " + remote + ": " + e.getMessage());
        }
    }

    /**
     * Opens and waits until the handshake ended, at most {@code timeoutMillis} (0: until the SYN
     * retries give up).
     *
     * @throws ConnectFailedException the handshake failed (refused, timed out, the stack stopped)
     * @throws SocketTimeoutException {@code timeoutMillis} passed first (the attempt is aborted)
     */
    void connect(InetSocketAddress remote, long timeoutMillis, ConnectionOptions options) throws IOException {
        stack.lock.lock();
        try {
            openLocked(remote, options);
            long left = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            Failure f;
            while ((f = failureLocked()) == null && conn.state() == Connection.State.CONNECTING) {
                if (timeoutMillis > 0) {
                    if (left <= 0) {
                        conn.abort();
                        stack.touch(conn);
                        throw new SocketTimeoutException("connect to " + remote + " timed out after "
                                + timeoutMillis + " ms");
                    }
                    left = stack.changed.awaitNanos(left);
                } else {
                    stack.changed.await();
                }
            }
            if (f != null) {
                throw new ConnectFailedException(f, remote);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting to " + remote);
        } finally {
            stack.lock.unlock();
        }
    }

    /**
     * Reads in-order bytes: how many, -1 at a clean end of stream, or (only when not
     * {@code block}ing) 0 when none are ready. See the class comment for the failure rules.
     */
    int read(byte[] b, int off, int len, boolean block) throws IOException {
        stack.lock.lock();
        try {
            connected();
            while (true) {
                if (closed) {
                    throw new SocketException("socket closed");
                }
                int n = conn.read(b, off, len);
                if (n > 0) {
                    stack.touch(conn); // the read may open the window: let the loop announce it
                    return n;
                }
                if (n < 0) {
                    return -1;
                }
                Failure f = failureLocked();
                if (f != null) {
                    throw new ConnectionFailedException(f);
                }
                if (conn.state() == Connection.State.CLOSED) {
                    return -1;
                }
                if (!block) {
                    return 0;
                }
                stack.awaitReadable(conn);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading");
        } finally {
            stack.lock.unlock();
        }
    }

    /**
     * Queues bytes for sending. Blocking: all of them, waiting for the handshake and for room.
     * Non-blocking: what fits now (0 while connecting or when the send buffer is full).
     */
    int write(byte[] b, int off, int len, boolean block) throws IOException {
        stack.lock.lock();
        try {
            connected();
            int done = 0;
            while (done < len) {
                if (closed) {
                    throw new SocketException("socket closed");
                }
                if (outputShut) {
                    throw new SocketException("socket output is shut down");
                }
                Failure f = failureLocked();
                if (f != null) {
                    throw new ConnectionFailedException(f);
                }
                Connection.State s = conn.state();
                if (s == Connection.State.CLOSED) {
                    throw new SocketException("connection closed");
                }
                int n = s == Connection.State.ESTABLISHED ? conn.write(b, off + done, len - done) : 0;
                if (n > 0) {
                    done += n;
                    stack.touch(conn);
                    continue;
                }
                if (!block) {
                    break;
                }
                if (s == Connection.State.ESTABLISHED) {
                    stack.awaitWritable(conn);
                } else {
                    stack.changed.await(); // still connecting
                }
            }
            return done;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        } finally {
            stack.lock.unlock();
        }
    }

    /** FIN (DATA_FIN) after the queued bytes; idempotent. False if not connected yet. */
    boolean shutdownOutput() {
        stack.lock.lock();
        try {
            if (conn == null) {
                return false;
            }
            if (!outputShut) {
                outputShut = true;
                conn.shutdownOutput();
                stack.touch(conn);
            }
            return true;
        } finally {
            stack.lock.unlock();
        }
    }

    /** Graceful close of both directions; queued bytes are still delivered. Idempotent. */
    void close() {
        stack.lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (conn != null) {
                outputShut = true;
                conn.close();
                stack.touch(conn);
                stack.wakeAll(conn);
            }
        } finally {
            stack.lock.unlock();
        }
    }

    /** Abortive close (RST, or MP_FASTCLOSE for MPTCP); the readiness callback is dropped. */
    void abort() {
        stack.lock.lock();
        try {
            closed = true;
            outputShut = true;
            if (conn != null) {
                stack.setReadiness(conn, null);
                conn.abort();
                stack.touch(conn);
                stack.wakeAll(conn);
            }
        } finally {
            stack.lock.unlock();
        }
    }

    /**
     * Waits until the connection is closed both ways, everything delivered and acknowledged.
     * Returns false if {@code timeoutMillis} passed first.
     *
     * @throws ConnectionFailedException if it failed instead (or the stack stopped)
     */
    boolean awaitClosed(long timeoutMillis) throws IOException {
        stack.lock.lock();
        try {
            connected();
            long left = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (true) {
                Failure f = failureLocked();
                if (f != null) {
                    throw new ConnectionFailedException(f);
                }
                if (conn.state() == Connection.State.CLOSED) {
                    return true;
                }
                if (left <= 0) {
                    return false;
                }
                left = stack.changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the close");
        } finally {
            stack.lock.unlock();
        }
    }

    /** The connection's state; CONNECTING before connect. */
    Connection.State state() {
        stack.lock.lock();
        try {
            return conn == null ? Connection.State.CONNECTING : conn.state();
        } finally {
            stack.lock.unlock();
        }
    }

    /**
     * Why the connection is unusable: its own failure, or {@link Failure.Kind#STACK_STOPPED} once
     * the stack stopped with it still open; null while it is healthy or after a clean close.
     */
    Failure failure() {
        stack.lock.lock();
        try {
            return conn == null ? null : failureLocked();
        } finally {
            stack.lock.unlock();
        }
    }

    /** Caller holds the lock; conn is set. */
    private Failure failureLocked() {
        Connection.State s = conn.state();
        if (stack.isRunning()) {
            return s == Connection.State.FAILED ? connectionFailure() : null;
        }
        if (s == Connection.State.CLOSED) {
            return null; // it ended cleanly before the stack stopped
        }
        if (s == Connection.State.FAILED && connectionFailure().kind() != Failure.Kind.ABORTED) {
            return connectionFailure(); // failed on its own; a stopping stack aborts what is open
        }
        try {
            stack.checkRunning();
        } catch (ConnectionFailedException stopped) {
            return stopped.failure();
        }
        return connectionFailure(); // restarted meanwhile: cannot happen, a stack starts once
    }

    private Failure connectionFailure() {
        Failure f = conn.failure();
        return f != null ? f : new Failure(Failure.Kind.RESET, "connection failed");
    }

    /** Bytes ready to read (0 before connect). */
    long readable() {
        stack.lock.lock();
        try {
            return conn == null ? 0 : conn.readable();
        } finally {
            stack.lock.unlock();
        }
    }

    /** Room in the send buffer (0 before connect and after shutdownOutput). */
    long writable() {
        stack.lock.lock();
        try {
            return conn == null || outputShut ? 0 : conn.writable();
        } finally {
            stack.lock.unlock();
        }
    }

    /** A snapshot, or null before connect. */
    ConnectionInfo info() {
        stack.lock.lock();
        try {
            return conn == null ? null : conn.info();
        } finally {
            stack.lock.unlock();
        }
    }

    /** Sets (null: removes) the non-blocking API's readiness callback. */
    void setReadiness(Runnable readiness) {
        stack.lock.lock();
        try {
            if (conn != null) {
                stack.setReadiness(conn, readiness);
            }
        } finally {
            stack.lock.unlock();
        }
    }


    private void connected() throws SocketException {
        if (conn == null) {
            throw new SocketException("socket is not connected");
        }
    }
}
