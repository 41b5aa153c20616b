package io.jmptcp.tun.netem;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * A link emulator in the manner of Linux {@code sch_netem} (tc-netem(8)), without I/O and without
 * a clock: packets go in with a timestamp ({@link #offer}), and come out when due ({@link #poll}).
 * The caller (the TUN relay, or a test) supplies the time in nanoseconds on any monotonic scale.
 *
 * <p>What happens to a packet offered at time {@code now}, in this order:
 * <ol>
 *   <li><b>limit</b>: if {@code limitPackets} packets are already held, it is dropped (tail drop,
 *       as netem's {@code limit}, default 1000).</li>
 *   <li><b>loss</b>: dropped with probability {@code lossPct} (independent Bernoulli trials, as
 *       netem's {@code loss random}).</li>
 *   <li><b>duplicate</b>: with probability {@code duplicatePct} a second, identical copy is
 *       enqueued; each copy then goes through the steps below on its own.</li>
 *   <li><b>rate</b>: with {@code rateMbit > 0} the link serializes one packet at a time:
 *       transmission ends at {@code max(now, end of the previous transmission) + bits / rate}.
 *       Without a rate, transmission ends at {@code now}.</li>
 *   <li><b>reorder</b>: with probability {@code reorderPct} the packet is sent as soon as it is
 *       transmitted, skipping the delay, so it overtakes the packets still delayed (netem's
 *       {@code reorder}: "packets are sent immediately, the others are delayed"). Reordering
 *       therefore needs a delay to have an effect.</li>
 *   <li><b>delay and jitter</b>: otherwise it is due at {@code transmission end + delay + U}, with
 *       {@code U} uniform in {@code [-jitter, +jitter]} (netem's default jitter distribution),
 *       never before the transmission end. Packets leave in order of their due time, so jitter
 *       larger than the spacing of packets reorders them, as in netem without a rate.</li>
 * </ol>
 * All random draws come from one {@link SplittableRandom} seeded with {@code seed}: the same
 * seed and the same sequence of offers give the same result.
 *
 * <p>Memory: packet slots are allocated on first use, up to {@code limitPackets}, and reused; the
 * queue is a binary heap over slot indexes. Offering and polling allocate nothing.
 * Not thread-safe: one thread offers and polls.
 */
public final class LinkEmulator {

    /**
     * @param delayNanos   fixed one-way delay added to every packet (except reordered ones)
     * @param jitterNanos  half-width of the uniform jitter around the delay
     * @param lossPct      probability of dropping a packet, 0..100
     * @param reorderPct   probability of sending a packet without the delay, 0..100
     * @param duplicatePct probability of sending a packet twice, 0..100
     * @param rateMbit     link rate in Mbit/s (10^6 bit/s); 0 = unlimited
     * @param limitPackets the most packets held at once
     * @param seed         seed of the random draws
     */
    public record Config(long delayNanos, long jitterNanos, double lossPct, double reorderPct,
            double duplicatePct, double rateMbit, int limitPackets, long seed) {
        public static final int DEFAULT_LIMIT = 1000;

        public Config {
            if (delayNanos < 0 || jitterNanos < 0) {
                throw new IllegalArgumentException("delay and jitter must not be negative");
            }
            checkPct("loss", lossPct);
            checkPct("reorder", reorderPct);
            checkPct("duplicate", duplicatePct);
            if (!(rateMbit >= 0) || Double.isInfinite(rateMbit)) {
                throw new IllegalArgumentException("rate must be >= 0 Mbit/s, got " + rateMbit);
            }
            if (limitPackets <= 0) {
                throw new IllegalArgumentException("limit must be positive, got " + limitPackets);
            }
        }

        private static void checkPct(String name, double pct) {
            if (!(pct >= 0 && pct <= 100)) {
                throw new IllegalArgumentException(name + " must be within 0..100 %, got " + pct);
            }
        }

        /** No impairment at all: every packet leaves as soon as it arrives. */
        public static Config none() {
            return new Config(0, 0, 0, 0, 0, 0, DEFAULT_LIMIT, 1);
        }

        public Config withDelay(long delayNanos, long jitterNanos) {
            return new Config(delayNanos, jitterNanos, lossPct, reorderPct, duplicatePct, rateMbit, limitPackets, seed);
        }

        public Config withLoss(double pct) {
            return new Config(delayNanos, jitterNanos, pct, reorderPct, duplicatePct, rateMbit, limitPackets, seed);
        }

        public Config withReorder(double pct) {
            return new Config(delayNanos, jitterNanos, lossPct, pct, duplicatePct, rateMbit, limitPackets, seed);
        }

        public Config withDuplicate(double pct) {
            return new Config(delayNanos, jitterNanos, lossPct, reorderPct, pct, rateMbit, limitPackets, seed);
        }

        public Config withRate(double mbit) {
            return new Config(delayNanos, jitterNanos, lossPct, reorderPct, duplicatePct, mbit, limitPackets, seed);
        }

        public Config withLimit(int packets) {
            return new Config(delayNanos, jitterNanos, lossPct, reorderPct, duplicatePct, rateMbit, packets, seed);
        }

        public Config withSeed(long s) {
            return new Config(delayNanos, jitterNanos, lossPct, reorderPct, duplicatePct, rateMbit, limitPackets, s);
        }
    }

    private final Config config;
    private final int slotSize;
    private final SplittableRandom random;
    /** Nanoseconds to serialize one byte at the configured rate (0 = unlimited). */
    private final double nanosPerByte;

    private final ByteBuffer[] slots;
    private int allocated;
    private final int[] freeSlots;
    private int freeCount;
    /** The heap: slot indexes ordered by (due, sequence). */
    private final int[] heap;
    private int heapSize;
    private final long[] due;
    private final long[] sequence;
    private long nextSequence;
    private long linkFreeAt = Long.MIN_VALUE;
    /** The slot handed out by the last poll, freed at the next call. */
    private int lent = -1;

    private long offered;
    private long delivered;
    private long lost;
    private long overLimit;
    private long oversize;
    private long duplicated;
    private long reordered;

    /**
     * @param config   the impairments
     * @param slotSize the largest packet accepted (the MTU of the device feeding it)
     */
    public LinkEmulator(Config config, int slotSize) {
        this.config = config;
        this.slotSize = slotSize;
        this.random = new SplittableRandom(config.seed());
        this.nanosPerByte = config.rateMbit() > 0 ? 8_000.0 / config.rateMbit() : 0;
        int n = config.limitPackets();
        slots = new ByteBuffer[n];
        freeSlots = new int[n];
        heap = new int[n];
        due = new long[n];
        sequence = new long[n];
    }

    public Config config() {
        return config;
    }

    /**
     * Takes a packet (its bytes from position to limit are copied; the buffer is not changed).
     * The packet may be dropped, duplicated and is scheduled as the class comment describes.
     */
    public void offer(ByteBuffer packet, long nowNanos) {
        releaseLent();
        offered++;
        if (packet.remaining() > slotSize) {
            oversize++;
            return;
        }
        if (heapSize >= config.limitPackets()) {
            overLimit++;
            return;
        }
        if (chance(config.lossPct())) {
            lost++;
            return;
        }
        boolean twice = chance(config.duplicatePct());
        enqueue(packet, nowNanos);
        if (twice) {
            // The copy counts as a copy even when the limit then drops it, so that
            // offered + duplicated = delivered + lost + overLimit + oversize + held.
            duplicated++;
            if (heapSize >= config.limitPackets()) {
                overLimit++;
            } else {
                enqueue(packet, nowNanos);
            }
        }
    }

    private void enqueue(ByteBuffer packet, long now) {
        int length = packet.remaining();
        long sent = now;
        if (nanosPerByte > 0) {
            long start = Math.max(now, linkFreeAt);
            sent = start + (long) Math.ceil(length * nanosPerByte);
            linkFreeAt = sent;
        }
        long when;
        if (chance(config.reorderPct())) {
            reordered++;
            when = sent;
        } else {
            long d = config.delayNanos();
            if (config.jitterNanos() > 0) {
                d += random.nextLong(-config.jitterNanos(), config.jitterNanos() + 1);
            }
            when = sent + Math.max(0, d);
        }
        int slot = takeSlot();
        ByteBuffer b = slots[slot];
        b.clear();
        b.put(0, packet, packet.position(), length);
        b.limit(length);
        due[slot] = when;
        sequence[slot] = nextSequence++;
        heapPush(slot);
    }

    /** When the next packet is due, or {@link Long#MAX_VALUE} if none is held. */
    public long nextDue() {
        return heapSize == 0 ? Long.MAX_VALUE : due[heap[0]];
    }

    /**
     * The next packet due at or before {@code nowNanos}, or null. The returned buffer (position 0,
     * limit = length) stays valid until the next call of {@code offer} or {@code poll}.
     */
    public ByteBuffer poll(long nowNanos) {
        releaseLent();
        if (heapSize == 0 || due[heap[0]] > nowNanos) {
            return null;
        }
        int slot = heapPop();
        lent = slot;
        delivered++;
        return slots[slot];
    }

    /** Packets held (scheduled, not yet polled). */
    public int size() {
        return heapSize;
    }

    public Stats stats() {
        return new Stats(offered, delivered, lost, overLimit, oversize, duplicated, reordered);
    }

    /**
     * Counters since creation.
     *
     * @param offered    packets offered
     * @param delivered  packets polled (copies included)
     * @param lost       dropped by the loss draw
     * @param overLimit  dropped because {@code limitPackets} were held
     * @param oversize   dropped because longer than the slot size
     * @param duplicated extra copies made (a copy may then be dropped by the limit)
     * @param reordered  packets sent without the delay
     */
    public record Stats(long offered, long delivered, long lost, long overLimit, long oversize,
            long duplicated, long reordered) {
    }

    private boolean chance(double pct) {
        return pct > 0 && random.nextDouble() * 100.0 < pct;
    }

    private void releaseLent() {
        if (lent >= 0) {
            freeSlots[freeCount++] = lent;
            lent = -1;
        }
    }

    private int takeSlot() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        slots[allocated] = ByteBuffer.allocateDirect(slotSize);
        return allocated++;
    }

    private boolean before(int a, int b) {
        return due[a] < due[b] || (due[a] == due[b] && sequence[a] < sequence[b]);
    }

    private void heapPush(int slot) {
        int i = heapSize++;
        heap[i] = slot;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(heap[i], heap[parent])) {
                break;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private int heapPop() {
        int top = heap[0];
        heap[0] = heap[--heapSize];
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int smallest = i;
            if (l < heapSize && before(heap[l], heap[smallest])) {
                smallest = l;
            }
            if (r < heapSize && before(heap[r], heap[smallest])) {
                smallest = r;
            }
            if (smallest == i) {
                return top;
            }
            swap(i, smallest);
            i = smallest;
        }
    }

    private void swap(int i, int j) {
        int t = heap[i];
        heap[i] = heap[j];
        heap[j] = t;
    }
}
