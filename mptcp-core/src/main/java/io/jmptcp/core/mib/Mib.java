package io.jmptcp.core.mib;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A set of {@link TcpMib}, {@link MptcpMib} and {@link StackMib} counters. One instance may be shared by every connection of a stack (the
 * engine is single-threaded; the runtime snapshots it for {@code status}).
 */
public final class Mib {
    private final long[] values = new long[TcpMib.values().length];
    private final long[] mptcp = new long[MptcpMib.values().length];
    private final long[] stack = new long[StackMib.values().length];

    public void inc(StackMib c) {
        stack[c.ordinal()]++;
    }

    public void add(StackMib c, long n) {
        stack[c.ordinal()] += n;
    }

    public long get(StackMib c) {
        return stack[c.ordinal()];
    }

    public void inc(MptcpMib c) {
        mptcp[c.ordinal()]++;
    }

    public void add(MptcpMib c, long n) {
        mptcp[c.ordinal()] += n;
    }

    public long get(MptcpMib c) {
        return mptcp[c.ordinal()];
    }

    public Map<MptcpMib, Long> mptcpSnapshot() {
        return snapshot(MptcpMib.class, mptcp);
    }

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
        return snapshot(TcpMib.class, values);
    }

    private static <E extends Enum<E>> Map<E, Long> snapshot(Class<E> type, long[] counts) {
        Map<E, Long> m = new EnumMap<>(type);
        for (E c : type.getEnumConstants()) {
            m.put(c, counts[c.ordinal()]);
        }
        return m;
    }

    /** The TCP and MPTCP counters that are not zero (the {@link StackMib} ones are read one by one). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Map<? extends Enum<?>, Long> m : List.of(snapshot(), mptcpSnapshot())) {
            m.forEach((c, v) -> {
                if (v != 0) {
                    sb.append(c).append('=').append(v).append(' ');
                }
            });
        }
        return sb.toString().trim();
    }
}
