package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Objects;

/**
 * The non-blocking side of the socket API: a connection on a {@link Stack} whose calls never wait,
 * plus a readiness callback the event loop runs after every round in which the connection changed
 * (bytes arrived, the send buffer drained, the state moved on) and once when the stack stops.
 * Backpressure both ways falls out of the buffers: {@link #write} takes only what fits, and bytes
 * not {@link #read} stay in the receive buffer, which closes the advertised window.
 *
 * <p>Reading and writing follow the same rules as {@link MptcpSocket} (one shared
 * implementation), except that where the blocking socket waits these calls return 0:
 * <ul>
 *   <li>read returns bytes already received first; -1 means a clean end of stream only (the
 *       peer's FIN, everything read);</li>
 *   <li>on a failed connection, or once the stack stopped, read and write throw
 *       {@link ConnectionFailedException} carrying the {@link Failure}: a reset never looks like
 *       end of stream; {@link #failure()} tells the same without throwing;</li>
 *   <li>after {@link #close} or {@link #abort} read and write throw {@link SocketException}
 *       "socket closed", after {@link #shutdownOutput} write throws "socket output is shut
 *       down"; close, abort and shutdownOutput are idempotent.</li>
 * </ul>
 *
 * <p>Every method takes the stack's lock; the callback runs on the loop thread with that lock held,
 * so it may call these methods but must not block.
 */
public final class AsyncConnection {
    private final ConnectionHandle handle;
    private final Stack stack;
    private final long id;

    /** Caller holds the stack's lock. */
    AsyncConnection(Stack stack, Connection conn) {
        this.stack = stack;
        this.handle = new ConnectionHandle(stack, conn);
        this.id = stack.idOf(conn);
    }

    private AsyncConnection(Stack stack, ConnectionHandle opened, long id) {
        this.stack = stack;
        this.handle = opened;
        this.id = id;
    }

    /**
     * Starts an active open to {@code remote}; {@code readiness} runs once the handshake completed
     * or failed and after every later change.
     *
     * @throws ConnectException when the stack cannot take the attempt (no free port, a setting)
     * @throws ConnectionFailedException when the stack is not running
     */
    public static AsyncConnection connect(Stack stack, InetSocketAddress remote, Runnable readiness)
            throws IOException {
        return connect(stack, remote, ConnectionOptions.DEFAULTS, readiness);
    }

    /** As {@link #connect(Stack, InetSocketAddress, Runnable)}, with per-connection settings. */
    public static AsyncConnection connect(Stack stack, InetSocketAddress remote, ConnectionOptions options,
                                          Runnable readiness) throws IOException {
        Objects.requireNonNull(readiness, "readiness");
        ConnectionHandle h = new ConnectionHandle(stack);
        long id = h.open(remote, options, readiness);
        return new AsyncConnection(stack, h, id);
    }

    /** Sets the callback of an accepted connection (or replaces it; null removes it). */
    public void setReadiness(Runnable readiness) {
        handle.setReadiness(readiness);
    }

    /** The stack's id of this connection, as in {@link Stack#connectionsById()}. */
    public long id() {
        return id;
    }

    /**
     * Reads in-order bytes: how many, 0 when none are ready, -1 at a clean end of stream.
     *
     * @throws ConnectionFailedException the connection failed (or the stack stopped)
     * @throws SocketException "socket closed" after {@link #close} or {@link #abort}
     */
    public int read(byte[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        return handle.read(dst, off, len, false);
    }

    /**
     * Queues bytes for sending: how many fit (0 while connecting or when the send buffer is full).
     *
     * @throws ConnectionFailedException the connection failed (or the stack stopped)
     * @throws SocketException after {@link #shutdownOutput}, {@link #close} or a clean close
     */
    public int write(byte[] src, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, src.length);
        return handle.write(src, off, len, false);
    }

    /** Bytes ready to read. */
    public long readable() {
        return handle.readable();
    }

    /** Room in the send buffer. */
    public long writable() {
        return handle.writable();
    }

    /** FIN (DATA_FIN) after the queued bytes. Idempotent. */
    public void shutdownOutput() {
        handle.shutdownOutput();
    }

    /** Graceful close of both directions; queued bytes are still delivered. Idempotent. */
    public void close() {
        handle.close();
    }

    /** Abortive close (RST, or MP_FASTCLOSE for MPTCP); the readiness callback is dropped. */
    public void abort() {
        handle.abort();
    }

    public Connection.State state() {
        return handle.state();
    }

    /**
     * Why the connection failed ({@link Failure.Kind#REFUSED} "connection refused", {@link
     * Failure.Kind#TIMEOUT} "connection timed out ...", ...), {@link Failure.Kind#STACK_STOPPED}
     * once the stack stopped with it open, or null.
     */
    public Failure failure() {
        return handle.failure();
    }

    /** Whether the stack still runs; once it stopped nothing will change any more. */
    public boolean stackRunning() {
        return stack.isRunning();
    }

    public ConnectionInfo info() {
        return handle.info();
    }
}
