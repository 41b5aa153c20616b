package io.jmptcp.cli.daemon;

import java.io.IOException;

/**
 * The far side of a relay as a non-blocking byte stream: a connection on the jmptcp stack in
 * production, an in-memory fake in tests. Calls never block; {@link #onReady} tells when something
 * may have changed, from any thread.
 */
public interface Endpoint {
    /**
     * Reads bytes: 0 when none are ready, -1 at a clean end of stream only.
     *
     * @throws IOException once the endpoint failed (a reset must not look like end of stream)
     */
    int read(byte[] dst, int off, int len) throws IOException;

    /**
     * Takes bytes for sending: how many fit (0 when the send buffer is full).
     *
     * @throws IOException once the endpoint failed
     */
    int write(byte[] src, int off, int len) throws IOException;

    /** End of stream after the queued bytes (FIN, or DATA_FIN for MPTCP). Idempotent. */
    void shutdownOutput();

    /** Graceful close of both directions. */
    void close();

    /** Abortive close (RST or MP_FASTCLOSE). */
    void abort();

    /** Why the endpoint failed (reset, timed out, the stack stopped), or null while it is healthy. */
    String failure();

    /** Sets the one callback run, on any thread, whenever the endpoint may have changed. */
    void onReady(Runnable r);

    /** The endpoint's own address for a SOCKS reply (BND.ADDR), e.g. "10.3.1.1". */
    String localHost();

    /** The endpoint's own port for a SOCKS reply (BND.PORT). */
    int localPort();

    /** For log lines: "10.3.1.1:40000 -> 10.2.1.1:80". */
    String describe();
}
