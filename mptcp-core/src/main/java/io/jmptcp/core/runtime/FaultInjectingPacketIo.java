package io.jmptcp.core.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Wraps a {@link PacketIo} and, with a fixed seed, drops, duplicates or corrupts packets in each
 * direction. Each packet is first subject to the drop draw; a packet that survives may be
 * corrupted (one random bit flipped in one random byte) and then duplicated (the copy is identical
 * to the possibly corrupted original). Draws are independent Bernoulli trials from one
 * {@link SplittableRandom}, so the same seed and the same packet sequence give the same faults.
 *
 * <p>Corruption on send works on a private copy: the caller's buffer is never modified, as the
 * {@link PacketIo#send} contract requires. Corruption on receive flips the bit in the batch slot.
 */
public final class FaultInjectingPacketIo implements PacketIo {

    /** Fault probabilities for one direction, each in percent (0 to 100). */
    public record Faults(double dropPct, double duplicatePct, double corruptPct) {
        public static final Faults NONE = new Faults(0, 0, 0);

        public Faults {
            check("dropPct", dropPct);
            check("duplicatePct", duplicatePct);
            check("corruptPct", corruptPct);
        }

        private static void check(String name, double pct) {
            if (!(pct >= 0 && pct <= 100)) {
                throw new IllegalArgumentException(name + " must be within 0..100, got " + pct);
            }
        }
    }

    private final PacketIo inner;
    private final Faults onSend;
    private final Faults onReceive;
    private final SplittableRandom random;
    private final ByteBuffer scratch;
    private long dropped;
    private long duplicated;
    private long corrupted;

    public FaultInjectingPacketIo(PacketIo inner, Faults onSend, Faults onReceive, long seed) {
        this.inner = inner;
        this.onSend = onSend;
        this.onReceive = onReceive;
        this.random = new SplittableRandom(seed);
        this.scratch = ByteBuffer.allocateDirect(Math.max(inner.mtu(), 65535));
    }

    @Override
    public int receive(PacketBatch batch, long timeoutNanos) throws IOException {
        int first = batch.size();
        int n = inner.receive(batch, timeoutNanos);
        int end = first + n;
        int i = first;
        while (i < end) {
            if (chance(onReceive.dropPct())) {
                batch.remove(i);
                end--;
                dropped++;
                continue;
            }
            ByteBuffer p = batch.get(i);
            if (chance(onReceive.corruptPct())) {
                flipRandomBit(p);
                corrupted++;
            }
            if (chance(onReceive.duplicatePct()) && !batch.isFull()) {
                batch.duplicate(i);
                duplicated++;
                end++;
                i++;
            }
            i++;
        }
        return batch.size() - first;
    }

    @Override
    public void send(ByteBuffer packet) throws IOException {
        if (chance(onSend.dropPct())) {
            dropped++;
            return;
        }
        ByteBuffer out = packet;
        if (chance(onSend.corruptPct()) && packet.hasRemaining()) {
            scratch.clear();
            scratch.put(0, packet, packet.position(), packet.remaining());
            scratch.limit(packet.remaining());
            flipRandomBit(scratch);
            corrupted++;
            out = scratch;
        }
        inner.send(out);
        if (chance(onSend.duplicatePct())) {
            inner.send(out);
            duplicated++;
        }
    }

    private boolean chance(double pct) {
        return pct > 0 && random.nextDouble() * 100.0 < pct;
    }

    private void flipRandomBit(ByteBuffer p) {
        if (!p.hasRemaining()) {
            return;
        }
        int index = p.position() + random.nextInt(p.remaining());
        p.put(index, (byte) (p.get(index) ^ (1 << random.nextInt(8))));
    }

    /** Packets dropped so far, both directions. */
    public long dropped() {
        return dropped;
    }

    /** Extra copies injected so far, both directions. */
    public long duplicated() {
        return duplicated;
    }

    /** Packets with a flipped bit so far, both directions. */
    public long corrupted() {
        return corrupted;
    }

    @Override
    public void flush() throws IOException {
        inner.flush();
    }

    @Override
    public void wakeup() {
        inner.wakeup();
    }

    @Override
    public int mtu() {
        return inner.mtu();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
