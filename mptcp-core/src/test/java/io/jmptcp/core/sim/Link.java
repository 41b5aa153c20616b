package io.jmptcp.core.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One direction of a simulated path: a drop-tail queue served at {@code rateBps}, then a propagation
 * delay with optional jitter. Impairments are drawn from a seeded generator: random loss,
 * duplication, and reordering (a chosen packet is held back until {@code reorderDepth} later packets
 * have overtaken it, or {@code reorderTimeoutMicros} passes). The link can go down (everything in it
 * and everything sent meanwhile is lost) and come back.
 */
public final class Link {
    /** Link parameters; fluent setters, all optional except rate and delay. */
    public static final class Config {
        public long rateBps = 100_000_000L;
        public long delayMicros = 10_000;
        public int queueLimit = 1000;
        public double loss;
        public double duplicate;
        public double reorder;
        public int reorderDepth = 5;
        public long reorderTimeoutMicros = 20_000;
        public long jitterMicros;

        public Config rate(long bps) { rateBps = bps; return this; }
        public Config delay(long micros) { delayMicros = micros; return this; }
        public Config queue(int packets) { queueLimit = packets; return this; }
        public Config loss(double p) { loss = p; return this; }
        public Config duplicate(double p) { duplicate = p; return this; }
        public Config reorder(double p, int depth) { reorder = p; reorderDepth = depth; return this; }
        public Config jitter(long micros) { jitterMicros = micros; return this; }
    }

    private final NetSim sim;
    private final Config cfg;
    private final SplittableRandom rnd;
    private final Consumer<Packet> receiver;
    private final int id;
    private final ArrayDeque<Long> departures = new ArrayDeque<>();
    private long busyUntil;
    private long lastArrival;
    private boolean up = true;
    private long epoch;
    private final List<long[]> heldCounters = new ArrayList<>();
    private final List<Packet> held = new ArrayList<>();

    public long sent;
    public long delivered;
    public long droppedQueue;
    public long droppedLoss;
    public long droppedDown;
    public long duplicated;
    public long reordered;
    public long bytesDelivered;

    public Link(NetSim sim, int id, Config cfg, long seed, Consumer<Packet> receiver) {
        this.sim = sim;
        this.id = id;
        this.cfg = cfg;
        this.rnd = new SplittableRandom(seed);
        this.receiver = receiver;
    }

    public boolean isUp() {
        return up;
    }

    /** Takes the link down (losing everything in it) or brings it back. */
    public void setUp(boolean up) {
        if (!up && this.up) {
            epoch++;
            departures.clear();
            busyUntil = sim.now();
            lastArrival = sim.now();
            held.clear();
            heldCounters.clear();
        }
        this.up = up;
        sim.trace(id, 7, up ? 1 : 0);
    }

    /** Sees every packet offered to the link (tests use it to inspect segments). */
    public Consumer<Packet> tap;

    /** A middlebox in front of the link: rewrites a packet, or returns null to drop it. */
    public java.util.function.UnaryOperator<Packet> filter;
    public long droppedFilter;

    public void send(Packet offered) {
        long now = sim.now();
        sent++;
        Packet p = filter == null ? offered : filter.apply(offered);
        if (p == null) {
            droppedFilter++;
            return;
        }
        if (tap != null) {
            tap.accept(p);
        }
        if (!up) {
            droppedDown++;
            sim.trace(id, 1, p.segment().header().seq());
            return;
        }
        while (!departures.isEmpty() && departures.peekFirst() <= now) {
            departures.pollFirst();
        }
        if (departures.size() >= cfg.queueLimit) {
            droppedQueue++;
            sim.trace(id, 2, p.segment().header().seq());
            return;
        }
        long start = Math.max(now, busyUntil);
        long txEnd = start + (p.size() * 8L * 1_000_000L + cfg.rateBps - 1) / cfg.rateBps;
        busyUntil = txEnd;
        departures.addLast(txEnd);
        // Loss is drawn per packet after it took its place on the wire (it was sent, then lost).
        if (cfg.loss > 0 && rnd.nextDouble() < cfg.loss) {
            droppedLoss++;
            sim.trace(id, 3, p.segment().header().seq());
            return;
        }
        long arrival = txEnd + cfg.delayMicros;
        if (cfg.jitterMicros > 0) {
            arrival += rnd.nextLong(cfg.jitterMicros + 1);
            arrival = Math.max(arrival, lastArrival); // jitter alone keeps FIFO order
        }
        lastArrival = arrival;
        boolean hold = cfg.reorder > 0 && rnd.nextDouble() < cfg.reorder;
        boolean dup = cfg.duplicate > 0 && rnd.nextDouble() < cfg.duplicate;
        long ep = epoch;
        sim.schedule(arrival, () -> arrive(p, hold, ep));
        if (dup) {
            duplicated++;
            sim.schedule(arrival + 1, () -> arrive(p, false, ep));
        }
    }

    private void arrive(Packet p, boolean hold, long ep) {
        if (ep != epoch) {
            droppedDown++;
            return;
        }
        if (hold) {
            reordered++;
            long[] counter = {cfg.reorderDepth};
            held.add(p);
            heldCounters.add(counter);
            sim.after(cfg.reorderTimeoutMicros, () -> release(p, counter, ep));
            return;
        }
        deliver(p);
        for (int i = 0; i < held.size(); i++) {
            long[] c = heldCounters.get(i);
            if (--c[0] <= 0) {
                Packet h = held.remove(i);
                heldCounters.remove(i);
                i--;
                deliver(h);
            }
        }
    }

    private void release(Packet p, long[] counter, long ep) {
        if (ep != epoch) {
            return;
        }
        int i = heldCounters.indexOf(counter);
        if (i >= 0) {
            held.remove(i);
            heldCounters.remove(i);
            deliver(p);
        }
    }

    private void deliver(Packet p) {
        delivered++;
        bytesDelivered += p.size();
        var h = p.segment().header();
        sim.trace(sim.now(), id, h.seq(), h.ack(), h.flags(), p.segment().length());
        receiver.accept(p);
    }
}
