package io.jmptcp.cli.daemon;

import io.jmptcp.core.runtime.AsyncConnection;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Failure;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Endpoint} over a connection of the jmptcp stack (non-blocking API). At debug level it
 * logs subflow events: a subflow appearing, changing state, going away.
 */
public final class StackEndpoint implements Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(StackEndpoint.class);
    private final AsyncConnection conn;
    /** Subflow (local -> remote) to its last logged state; only used at debug level. */
    private Map<String, String> subflows = Map.of();
    private volatile Runnable ready = () -> { };

    /** Wraps {@code conn} and takes over its readiness callback. */
    public StackEndpoint(AsyncConnection conn) {
        this(conn, true);
    }

    /** For a connection whose readiness callback already calls {@link #fire()}. */
    public static StackEndpoint adopt(AsyncConnection conn) {
        return new StackEndpoint(conn, false);
    }

    private StackEndpoint(AsyncConnection conn, boolean takeReadiness) {
        this.conn = conn;
        if (takeReadiness) {
            conn.setReadiness(this::fire);
        }
    }

    /** Runs the current callback (the loop calls this after a round that touched the connection). */
    public void fire() {
        if (LOG.isDebugEnabled()) {
            logSubflowEvents();
        }
        ready.run();
    }

    private void logSubflowEvents() {
        Map<String, String> now = new HashMap<>();
        for (ConnectionInfo.Subflow f : conn.info().subflows()) {
            String key = f.local() + " -> " + f.remote();
            now.put(key, f.state() + (f.backup() ? " backup" : ""));
            String before = subflows.get(key);
            if (before == null) {
                LOG.debug("jmptcp#{} subflow {} {}", conn.id(), key, now.get(key));
            } else if (!before.equals(now.get(key))) {
                LOG.debug("jmptcp#{} subflow {} {} -> {}", conn.id(), key, before, now.get(key));
            }
        }
        for (String key : subflows.keySet()) {
            if (!now.containsKey(key)) {
                LOG.debug("jmptcp#{} subflow {} gone", conn.id(), key);
            }
        }
        subflows = now;
    }

    public AsyncConnection connection() {
        return conn;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        return conn.read(dst, off, len);
    }

    @Override
    public int write(byte[] src, int off, int len) throws IOException {
        return conn.write(src, off, len);
    }

    @Override
    public void shutdownOutput() {
        conn.shutdownOutput();
    }

    @Override
    public void close() {
        conn.close();
    }

    @Override
    public void abort() {
        conn.abort();
    }

    @Override
    public String failure() {
        Failure f = conn.failure(); // also STACK_STOPPED once the stack stopped
        return f == null ? null : f.detail();
    }

    @Override
    public void onReady(Runnable r) {
        ready = r;
    }

    @Override
    public String localHost() {
        return host(conn.info().local());
    }

    @Override
    public int localPort() {
        String l = conn.info().local();
        return Integer.parseInt(l.substring(l.lastIndexOf(':') + 1));
    }

    private static String host(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':'));
    }

    @Override
    public String describe() {
        ConnectionInfo i = conn.info();
        return "jmptcp#" + conn.id() + " " + i.local() + " -> " + i.remote() + (i.mptcp() ? " mptcp" : " tcp")
                + " sent " + i.bytesSent() + " received " + i.bytesReceived();
    }
}
