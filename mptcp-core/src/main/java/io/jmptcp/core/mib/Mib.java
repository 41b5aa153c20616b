package io.jmptcp.core.mib;

import java.util.EnumMap;
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
        Map<MptcpMib, Long> m = new EnumMap<>(MptcpMib.class);
        for (MptcpMib c : MptcpMib.values()) {
            m.put(c, mptcp[c.ordinal()]);
        }
        return m;
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
        Map<TcpMib, Long> m = new EnumMap<>(TcpMib.class);
        for (TcpMib c : TcpMib.values()) {
            m.put(c, values[c.ordinal()]);
        }
        return m;
    }

    /** The TCP and MPTCP counters that are not zero (the {@link StackMib} ones are read one by one). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (TcpMib c : TcpMib.values()) {
            if (values[c.ordinal()] != 0) {
                sb.append(c).append('=').append(values[c.ordinal()]).append(' ');
            }
        }
        for (MptcpMib c : MptcpMib.values()) {
            if (mptcp[c.ordinal()] != 0) {
                sb.append(c).append('=').append(mptcp[c.ordinal()]).append(' ');
            }
        }
        return sb.toString().trim();
    }
}
