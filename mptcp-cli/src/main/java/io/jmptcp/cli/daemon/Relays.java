package io.jmptcp.cli.daemon;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The live relays of a daemon, for draining on SIGTERM and for counting. */
public final class Relays {
    private final Set<Bridge> live = ConcurrentHashMap.newKeySet();

    /** Registers a bridge that is about to start; it leaves the set when it finishes. */
    public void add(Bridge b) {
        live.add(b);
    }

    public void remove(Bridge b) {
        live.remove(b);
    }

    public int size() {
        return live.size();
    }

    /** Asks every relay to drain (see {@link Bridge#drain()}). */
    public void drainAll() {
        live.forEach(Bridge::drain);
    }

    /** Aborts every relay still running. */
    public void abortAll() {
        live.forEach(Bridge::abort);
    }
}
