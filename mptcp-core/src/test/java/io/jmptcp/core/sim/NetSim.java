package io.jmptcp.core.sim;

import java.util.PriorityQueue;

/**
 * A discrete-event scheduler on a virtual clock (microseconds), after smoltcp's tests/netsim.rs.
 * Events at the same time run in the order they were scheduled, so a run is a pure function of its
 * inputs and seeds. Every delivered or dropped packet is folded into {@link #traceHash()}, so two
 * runs can be compared cheaply.
 */
public final class NetSim {
    private record Event(long time, long order, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private long now;
    private long order;
    private long trace = 0xcbf29ce484222325L;
    private long events;

    public long now() {
        return now;
    }

    public void schedule(long time, Runnable action) {
        if (time < now) {
            time = now;
        }
        queue.add(new Event(time, order++, action));
    }

    public void after(long delay, Runnable action) {
        schedule(now + delay, action);
    }

    /** Runs events until {@code done} holds, the queue is empty, or virtual time passes {@code limit}. */
    public boolean runUntil(java.util.function.BooleanSupplier done, long limit) {
        while (!done.getAsBoolean()) {
            Event e = queue.peek();
            if (e == null || e.time > limit) {
                return false;
            }
            queue.poll();
            now = e.time;
            events++;
            e.action.run();
        }
        return true;
    }

    /** Runs all events up to and including time {@code t}, then sets the clock to {@code t}. */
    public void runTo(long t) {
        runUntil(() -> false, t);
        now = Math.max(now, t);
    }

    public long events() {
        return events;
    }

    /** Mixes values into the run's trace hash (FNV-1a over the longs). */
    public void trace(long... values) {
        long h = trace;
        for (long v : values) {
            for (int i = 0; i < 8; i++) {
                h ^= (v >>> (8 * i)) & 0xFF;
                h *= 0x100000001b3L;
            }
        }
        trace = h;
    }

    public long traceHash() {
        return trace;
    }
}
