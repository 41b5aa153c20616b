package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.Failure;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A blocking connect whose handshake failed: refused, timed out (SYN retries), or the stack stopped
 * meanwhile. A {@link ConnectException}, as {@link java.net.Socket} throws; the message is the
 * failure's detail and the remote address, e.g. "connection refused (/10.0.0.2:7)".
 */
public final class ConnectFailedException extends ConnectException {
    private static final long serialVersionUID = 1L;
    private final transient Failure failure;

    public ConnectFailedException(Failure failure, InetSocketAddress remote) {
        super(Objects.requireNonNull(failure, "failure").detail() + " (" + remote + ")");
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }

    public Failure.Kind kind() {
        return failure.kind();
    }
}
