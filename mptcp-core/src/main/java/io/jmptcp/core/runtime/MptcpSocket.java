package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Connection;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A stream socket on a {@link Stack}: blocking connect, input and output streams, half-close,
 * graceful and abortive close. Whether it is MPTCP or plain TCP is the stack's connection factory's
 * choice (RFC 6182 section 6.1: the same API either way). Safe for one reader and one writer thread
 * at a time.
 *
 * <p>Errors are {@link IOException}s that say what happened: {@link ConnectException} "connection
 * refused" or "connection timed out ...", {@link SocketException} "connection reset by peer",
 * "socket closed", "the stack was closed".
 */
public final class MptcpSocket implements Closeable {
    private final Stack stack;
    private Connection conn;
    private boolean outputShut;
    private boolean closed;
    private final InputStream in = new In();
    private final OutputStream out = new Out();

    /** An unconnected socket on {@code stack}. */
    public MptcpSocket(Stack stack) {
        this.stack = Objects.requireNonNull(stack, "stack");
    }

    /** An accepted connection. */
    MptcpSocket(Stack stack, Connection conn) {
        this.stack = stack;
        this.conn = conn;
    }

    /** Connects and waits until the connection is established or has failed. */
    public void connect(InetSocketAddress remote) throws IOException {
        connect(remote, 0);
    }

    /**
     * Connects, waiting at most {@code timeoutMillis} (0: until the stack's SYN retries give up).
     *
     * @throws ConnectException "connection refused", or "connection timed out ..."
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
        stack.lock.lock();
        try {
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
            long left = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (conn.state() == Connection.State.CONNECTING) {
                stack.checkRunning();
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
            if (conn.state() == Connection.State.FAILED) {
                throw new ConnectException(conn.failure().detail() + " (" + remote + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting to " + remote);
        } finally {
            stack.lock.unlock();
        }
    }

    public InputStream getInputStream() {
        return in;
    }

    public OutputStream getOutputStream() {
        return out;
    }

    /** Sends FIN (DATA_FIN for MPTCP) after the queued data; reading goes on. */
    public void shutdownOutput() throws IOException {
        stack.lock.lock();
        try {
            connected();
            if (!outputShut) {
                outputShut = true;
                conn.shutdownOutput();
                stack.touch(conn);
            }
        } finally {
            stack.lock.unlock();
        }
    }

    /** Graceful close of both directions: queued data is still delivered. Idempotent. */
    @Override
    public void close() {
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

    /** Abortive close: a RST (MP_FASTCLOSE for MPTCP); unsent and unread data are discarded. */
    public void abort() {
        stack.lock.lock();
        try {
            closed = true;
            outputShut = true;
            if (conn != null) {
                conn.abort();
                stack.touch(conn);
                stack.wakeAll(conn);
            }
        } finally {
            stack.lock.unlock();
        }
    }

    /**
     * Waits until the connection is closed in both directions, every byte delivered and
     * acknowledged (or it failed). Returns false if {@code timeoutMillis} passed first.
     *
     * @throws SocketException if the connection failed (reset, timed out)
     */
    public boolean awaitClosed(long timeoutMillis) throws IOException {
        stack.lock.lock();
        try {
            connected();
            long left = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (true) {
                Connection.State s = conn.state();
                if (s == Connection.State.FAILED) {
                    throw failed();
                }
                if (s == Connection.State.CLOSED) {
                    return true;
                }
                if (left <= 0) {
                    return false;
                }
                stack.checkRunning();
                left = stack.changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the close");
        } finally {
            stack.lock.unlock();
        }
    }

    public Connection.State state() {
        stack.lock.lock();
        try {
            return conn == null ? Connection.State.CONNECTING : conn.state();
        } finally {
            stack.lock.unlock();
        }
    }

    /** A snapshot of the connection, or null before connect. */
    public ConnectionInfo info() {
        stack.lock.lock();
        try {
            return conn == null ? null : conn.info();
        } finally {
            stack.lock.unlock();
        }
    }

    private void connected() throws SocketException {
        if (conn == null) {
            throw new SocketException("socket is not connected");
        }
    }

    /** The error for a failed connection; if the stack itself stopped (and aborted it), that says more. */
    private IOException failed() {
        try {
            stack.checkRunning();
        } catch (IOException stopped) {
            return stopped;
        }
        return new SocketException(conn.failure().detail());
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
                    Connection.State s = conn.state();
                    if (s == Connection.State.FAILED) {
                        throw failed();
                    }
                    if (s == Connection.State.CLOSED) {
                        return -1;
                    }
                    stack.checkRunning();
                    stack.awaitReadable(conn);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading");
            } finally {
                stack.lock.unlock();
            }
        }

        @Override
        public int available() {
            stack.lock.lock();
            try {
                return conn == null ? 0 : (int) Math.min(Integer.MAX_VALUE, conn.readable());
            } finally {
                stack.lock.unlock();
            }
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
            stack.lock.lock();
            try {
                connected();
                int done = 0;
                while (done < len) {
                    if (outputShut) {
                        throw new SocketException(closed ? "socket closed" : "socket output is shut down");
                    }
                    Connection.State s = conn.state();
                    if (s == Connection.State.FAILED) {
                        throw failed();
                    }
                    if (s == Connection.State.CLOSED) {
                        throw new SocketException("connection closed");
                    }
                    int n = s == Connection.State.ESTABLISHED ? conn.write(b, off + done, len - done) : 0;
                    if (n > 0) {
                        done += n;
                        stack.touch(conn);
                        continue;
                    }
                    stack.checkRunning();
                    if (s == Connection.State.ESTABLISHED) {
                        stack.awaitWritable(conn);
                    } else {
                        stack.changed.await(); // still connecting
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing");
            } finally {
                stack.lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            shutdownOutput();
        }
    }
}
