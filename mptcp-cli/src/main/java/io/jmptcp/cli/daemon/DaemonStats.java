package io.jmptcp.cli.daemon;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The daemon's own counters (the stack keeps its own): relays opened and closed, bytes relayed,
 * and every rejected SOCKS client by reason. Thread-safe; status and metrics read snapshots.
 */
public final class DaemonStats {
    /** socks_rejected_total{reason}: clients turned away, by reason. */
    private final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    /** Counts a rejected SOCKS client; reasons are short snake_case words. */
    public void reject(String reason) {
        rejected.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** Adds to a named counter (e.g. "socks_accepted_total"). */
    public void add(String name, long n) {
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
