package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;

/**
 * A stream socket on a {@link Stack}: blocking connect, input and output streams, half-close,
 * graceful and abortive close. Whether it is MPTCP or plain TCP is the stack's connection factory's
 * choice (RFC 6182 section 6.1: the same API either way). Safe for one reader and one writer thread
 * at a time.
 *
 * <p>Reading and writing follow the same rules as {@link AsyncConnection} (one shared
 * implementation), like {@link java.net.Socket}:
 * <ul>
 *   <li>read returns bytes already received first; -1 means a clean end of stream only (the
 *       peer's FIN, everything read);</li>
 *   <li>on a failed connection read and write throw {@link ConnectionFailedException}, whose
 *       {@link ConnectionFailedException#failure() failure()} says what happened ({@link
 *       Failure.Kind#RESET} "connection reset by peer", {@link Failure.Kind#TIMEOUT}, {@link
 *       Failure.Kind#FASTCLOSE}, ...; {@link Failure.Kind#STACK_STOPPED} "the stack was closed");
 *       a reset never looks like end of stream;</li>
 *   <li>a failed connect throws {@link ConnectFailedException} ("connection refused", "connection
 *       timed out ..."), a {@link ConnectException};</li>
 *   <li>after {@link #close} or {@link #abort} read and write throw {@link SocketException}
 *       "socket closed"; close and abort are idempotent.</li>
 * </ul>
 */
public final class MptcpSocket implements Closeable {
    private final ConnectionHandle handle;
    private final InputStream in = new In();
    private final OutputStream out = new Out();

    /** An unconnected socket on {@code stack}. */
    public MptcpSocket(Stack stack) {
        this.handle = new ConnectionHandle(Objects.requireNonNull(stack, "stack"));
    }

    /** An accepted connection. */
    MptcpSocket(Stack stack, Connection conn) {
        this.handle = new ConnectionHandle(stack, conn);
    }

    /** Connects and waits until the connection is established or has failed. */
    public void connect(InetSocketAddress remote) throws IOException {
        connect(remote, 0);
    }

    /**
     * Connects, waiting at most {@code timeoutMillis} (0: until the stack's SYN retries give up).
     *
     * @throws ConnectFailedException "connection refused", or "connection timed out ..."
     * @throws SocketTimeoutException when {@code timeoutMillis} passed first (the attempt is aborted)
     */
    public void connect(InetSocketAddress remote, long timeoutMillis) throws IOException {
        connect(remote, timeoutMillis, ConnectionOptions.DEFAULTS);
    }

    /**
     * Connects with per-connection settings (scheduler, congestion control, subflow limit,
     * checksum) that override the stack's defaults.
     *
     * @throws ConnectException also when the stack's connections cannot take a setting
     */
    public void connect(InetSocketAddress remote, long timeoutMillis, ConnectionOptions options)
            throws IOException {
        handle.connect(remote, timeoutMillis, options);
    }

    public InputStream getInputStream() {
        return in;
    }

    public OutputStream getOutputStream() {
        return out;
    }

    /** Sends FIN (DATA_FIN for MPTCP) after the queued data; reading goes on. */
    public void shutdownOutput() throws IOException {
        if (!handle.shutdownOutput()) {
            throw new SocketException("socket is not connected");
        }
    }

    /** Graceful close of both directions: queued data is still delivered. Idempotent. */
    @Override
    public void close() {
        handle.close();
    }

    /** Abortive close: a RST (MP_FASTCLOSE for MPTCP); unsent and unread data are discarded. */
    public void abort() {
        handle.abort();
    }

    /**
     * Waits until the connection is closed in both directions, every byte delivered and
     * acknowledged (or it failed). Returns false if {@code timeoutMillis} passed first.
     *
     * @throws ConnectionFailedException if the connection failed (reset, timed out)
     */
    public boolean awaitClosed(long timeoutMillis) throws IOException {
        return handle.awaitClosed(timeoutMillis);
    }

    public Connection.State state() {
        return handle.state();
    }

    /** Why the connection failed (or STACK_STOPPED once the stack stopped), or null. */
    public Failure failure() {
        return handle.failure();
    }

    /** A snapshot of the connection, or null before connect. */
    public ConnectionInfo info() {
        return handle.info();
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            return handle.read(b, off, len, true);
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, handle.readable());
        }

        @Override
        public void close() {
            MptcpSocket.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            handle.write(b, off, len, true);
        }

        @Override
        public void close() throws IOException {
            shutdownOutput();
        }
    }
}
