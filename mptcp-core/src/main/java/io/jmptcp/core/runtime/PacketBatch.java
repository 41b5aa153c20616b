package io.jmptcp.core.runtime;

import java.nio.ByteBuffer;

/**
 * A reusable set of packet buffers for {@link PacketIo#receive}: allocated once, refilled on every
 * call, so the receive path creates no garbage per packet.
 *
 * <p>A consumer reads {@link #get(int)} for {@code i < size()}: a buffer whose position is 0 and
 * whose limit is the packet length. A producer (a {@code PacketIo}) fills the next slot with
 * {@link #beginAdd()} and {@link #commitAdd()}. {@link #clear()} empties the batch for reuse.
 */
public final class PacketBatch {
    private final ByteBuffer[] slots;
    private int size;
    private boolean adding;

    /**
     * @param capacity   the most packets one receive call returns
     * @param bufferSize the size of each slot (at least the MTU; 65535 takes any IP packet)
     * @param direct     direct buffers (for native I/O) or heap buffers
     */
    public PacketBatch(int capacity, int bufferSize, boolean direct) {
        if (capacity <= 0 || bufferSize <= 0) {
            throw new IllegalArgumentException("capacity and bufferSize must be positive");
        }
        slots = new ByteBuffer[capacity];
        for (int i = 0; i < capacity; i++) {
            slots[i] = direct ? ByteBuffer.allocateDirect(bufferSize) : ByteBuffer.allocate(bufferSize);
        }
    }

    public int capacity() {
        return slots.length;
    }

    public int size() {
        return size;
    }

    public boolean isFull() {
        return size == slots.length;
    }

    /** The size of each slot in bytes. */
    public int bufferSize() {
        return slots[0].capacity();
    }

    /** Packet {@code i}: position 0, limit = packet length. */
    public ByteBuffer get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("packet " + i + " of " + size);
        }
        return slots[i];
    }

    /** Empties the batch; the buffers are kept for the next receive. */
    public void clear() {
        size = 0;
        adding = false;
    }

    /** Producer side: the next free slot, cleared (position 0, limit = capacity). */
    public ByteBuffer beginAdd() {
        if (isFull()) {
            throw new IllegalStateException("batch is full");
        }
        adding = true;
        return slots[size].clear();
    }

    /** Producer side: the slot from {@link #beginAdd()} now holds a packet from 0 to its position. */
    public void commitAdd() {
        if (!adding) {
            throw new IllegalStateException("commitAdd without beginAdd");
        }
        adding = false;
        slots[size++].flip();
    }

    /** Producer side: the slot from {@link #beginAdd()} stays free (nothing was read into it). */
    public void abortAdd() {
        adding = false;
    }

    /** Producer side: the slot from {@link #beginAdd()} holds a packet of {@code length} bytes. */
    public void commitAdd(int length) {
        if (!adding) {
            throw new IllegalStateException("commitAdd without beginAdd");
        }
        adding = false;
        ByteBuffer b = slots[size++];
        b.position(0).limit(length);
    }

    /** Producer side: copies {@code packet} (position to limit, unchanged) into the next slot. */
    public void add(ByteBuffer packet) {
        ByteBuffer slot = beginAdd();
        if (packet.remaining() > slot.capacity()) {
            adding = false;
            throw new IllegalArgumentException("packet of " + packet.remaining()
                    + " bytes exceeds the slot size " + slot.capacity());
        }
        // Absolute bulk put (Java 16+): copies without creating a view buffer.
        slot.put(0, packet, packet.position(), packet.remaining());
        commitAdd(packet.remaining());
    }

    /**
     * Inserts a copy of packet {@code i} right after it (the later packets move up by one), using
     * the next free slot's buffer.
     */
    public void duplicate(int i) {
        ByteBuffer original = get(i);
        add(original);
        ByteBuffer copy = slots[size - 1];
        System.arraycopy(slots, i + 1, slots, i + 2, size - i - 2);
        slots[i + 1] = copy;
    }

    /**
     * Removes packet {@code i}; the packets after it move down by one. The slot's buffer is kept
     * (moved to the end), so removing allocates nothing.
     */
    public void remove(int i) {
        ByteBuffer removed = get(i);
        System.arraycopy(slots, i + 1, slots, i, size - i - 1);
        slots[--size] = removed;
    }
}
