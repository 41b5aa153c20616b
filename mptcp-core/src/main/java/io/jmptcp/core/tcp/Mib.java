package io.jmptcp.core.tcp;

import java.util.EnumMap;
import java.util.Map;

/**
 * A set of {@link TcpMib} counters. One instance may be shared by every connection of a stack (the
 * engine is single-threaded; the runtime snapshots it for {@code status}).
 */
public final class Mib {
    private final long[] values = new long[TcpMib.values().length];

    public void inc(TcpMib c) {
        values[c.ordinal()]++;
    }

    public void add(TcpMib c, long n) {
        values[c.ordinal()] += n;
    }

    public long get(TcpMib c) {
        return values[c.ordinal()];
    }

    public Map<TcpMib, Long> snapshot() {
        Map<TcpMib, Long> m = new EnumMap<>(TcpMib.class);
        for (TcpMib c : TcpMib.values()) {
            m.put(c, values[c.ordinal()]);
        }
        return m;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (TcpMib c : TcpMib.values()) {
            if (values[c.ordinal()] != 0) {
                sb.append(c).append('=').append(values[c.ordinal()]).append(' ');
            }
        }
        return sb.toString().trim();
    }
}
