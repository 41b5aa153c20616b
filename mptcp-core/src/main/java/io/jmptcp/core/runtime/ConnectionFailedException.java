package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.Failure;
import java.net.SocketException;
import java.util.Objects;

/**
 * A read, write or wait on a connection that failed (reset, timed out, MP_FASTCLOSE, ...) or on a
 * stack that stopped ({@link Failure.Kind#STACK_STOPPED}). The message is the failure's detail.
 */
public class ConnectionFailedException extends SocketException {
    private static final long serialVersionUID = 1L;
    private final transient Failure failure;

    public ConnectionFailedException(Failure failure) {
        super(Objects.requireNonNull(failure, "failure").detail());
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }

    public Failure.Kind kind() {
        return failure.kind();
    }
}
