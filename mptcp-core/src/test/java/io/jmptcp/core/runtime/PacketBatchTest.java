package io.jmptcp.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class PacketBatchTest {

    @Test
    void addCopiesAndRemoveKeepsTheBuffers() {
        PacketBatch b = new PacketBatch(3, 64, true);
        for (int i = 0; i < 3; i++) {
            b.add(ByteBuffer.wrap(new byte[] {(byte) i, (byte) i}));
        }
        assertTrue(b.isFull());
        ByteBuffer middle = b.get(1);
        b.remove(1);
        assertEquals(2, b.size());
        assertEquals(2, b.get(1).get(0), "the last packet moved down");
        b.clear();
        ByteBuffer reused = null;
        for (int i = 0; i < 3; i++) {
            reused = b.beginAdd();
            b.commitAdd(0);
        }
        assertSame(middle, reused, "the removed slot's buffer went to the end and is reused");
    }

    @Test
    void duplicateInsertsTheCopyRightAfterTheOriginal() {
        PacketBatch b = new PacketBatch(4, 64, false);
        for (int i = 0; i < 3; i++) {
            b.add(ByteBuffer.wrap(new byte[] {(byte) i}));
        }
        b.duplicate(0);
        assertEquals(4, b.size());
        byte[] order = new byte[4];
        for (int i = 0; i < 4; i++) {
            order[i] = b.get(i).get(0);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {0, 0, 1, 2}, order);
        assertTrue(b.get(0) != b.get(1), "the copy has its own buffer");
    }

    @Test
    void beginAndCommitFlipTheSlot() {
        PacketBatch b = new PacketBatch(1, 64, false);
        b.beginAdd().put(new byte[] {1, 2, 3});
        b.commitAdd();
        assertEquals(0, b.get(0).position());
        assertEquals(3, b.get(0).limit());
        assertThrows(IllegalStateException.class, b::beginAdd);
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(1));
    }

    @Test
    void oversizedPacketIsRefused() {
        PacketBatch b = new PacketBatch(2, 4, false);
        assertThrows(IllegalArgumentException.class, () -> b.add(ByteBuffer.allocate(5)));
        assertEquals(0, b.size());
        b.add(ByteBuffer.allocate(4));
        assertEquals(1, b.size());
    }
}
