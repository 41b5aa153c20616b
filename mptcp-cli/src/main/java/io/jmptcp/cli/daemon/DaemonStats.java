package io.jmptcp.cli.daemon;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The daemon's own counters (the stack keeps its own): relays opened and closed, bytes relayed,
 * and every rejected SOCKS client by reason. Thread-safe; status and metrics read snapshots.
 */
public final class DaemonStats {
    /**
     * Every counter name the daemon uses. The metrics endpoint exposes each from the start (at 0
     * until it counts); {@code status} shows those counted at least once.
     */
    public static final List<String> COUNTERS = List.of("socks_clients_total", "socks_connected_total",
            "socks_connect_failed_total", "forward_accepted_total", "forward_connect_failed_total",
            "relays_opened_total", "relays_failed_total", "relays_closed_total", "bytes_up_total", "bytes_down_total");
    private static final Set<String> KNOWN = Set.copyOf(COUNTERS);

    /** socks_rejected_total{reason}: clients turned away, by reason. */
    private final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    /** Counts a rejected SOCKS client; reasons are short snake_case words. */
    public void reject(String reason) {
        rejected.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** Adds to a named counter, one of {@link #COUNTERS}. */
    public void add(String name, long n) {
        if (!KNOWN.contains(name)) {
            throw new IllegalArgumentException("not a daemon counter: " + name + " (see DaemonStats.COUNTERS)");
        }
        counters.computeIfAbsent(name, k -> new LongAdder()).add(n);
    }

    public void inc(String name) {
        add(name, 1);
    }

    public long rejected(String reason) {
        LongAdder a = rejected.get(reason);
        return a == null ? 0 : a.sum();
    }

    public long get(String name) {
        LongAdder a = counters.get(name);
        return a == null ? 0 : a.sum();
    }

    /** Relays open now: opened minus closed. */
    public long relaysActive() {
        return get("relays_opened_total") - get("relays_closed_total");
    }

    /** Rejections by reason, sorted. */
    public Map<String, Long> rejections() {
        Map<String, Long> m = new TreeMap<>();
        rejected.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Every other counter, sorted. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
