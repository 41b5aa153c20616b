package io.jmptcp.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MemoryPacketIoTest {

    private static ByteBuffer packet(int first, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            b.put(i, (byte) (first + i));
        }
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(b.position(), a);
        return a;
    }

    @Test
    void packetsCrossInOrderAndInBatches() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 64);
        for (int i = 0; i < 5; i++) {
            ends[0].send(packet(i, 20 + i));
        }
        PacketBatch batch = new PacketBatch(3, 1500, false);
        assertEquals(3, ends[1].receive(batch, 0));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(bytes(packet(i, 20 + i)), bytes(batch.get(i)));
        }
        batch.clear();
        assertEquals(2, ends[1].receive(batch, 0));
        assertArrayEquals(bytes(packet(4, 24)), bytes(batch.get(1)));
        batch.clear();
        assertEquals(0, ends[0].receive(batch, 0), "nothing was sent the other way");
    }

    @Test
    void sendLeavesTheCallersBufferUnchanged() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4);
        ByteBuffer p = packet(7, 40);
        p.position(3).limit(30);
        ends[0].send(p);
        assertEquals(3, p.position());
        assertEquals(30, p.limit());
        PacketBatch batch = new PacketBatch(1, 1500, true);
        assertEquals(1, ends[1].receive(batch, 0));
        assertEquals(27, batch.get(0).remaining());
        assertEquals((byte) 10, batch.get(0).get(0));
    }

    @Test
    void receiveWaitsForTheTimeoutWhenIdle() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4);
        long timeout = TimeUnit.MILLISECONDS.toNanos(50);
        long t0 = System.nanoTime();
        assertEquals(0, ends[1].receive(new PacketBatch(1, 1500, false), timeout));
        assertTrue(System.nanoTime() - t0 >= timeout, "returned before the timeout");
    }

    @Test
    void aPacketEndsTheWaitEarly() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4);
        CompletableFuture<Integer> got = CompletableFuture.supplyAsync(() -> {
            try {
                return ends[1].receive(new PacketBatch(4, 1500, false), TimeUnit.SECONDS.toNanos(30));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        ends[0].send(packet(1, 10));
        assertEquals(1, got.get(10, TimeUnit.SECONDS));
    }

    @Test
    void wakeupEndsTheWaitWithNoPackets() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4);
        CompletableFuture<Integer> got = CompletableFuture.supplyAsync(() -> {
            try {
                return ends[1].receive(new PacketBatch(4, 1500, false), TimeUnit.SECONDS.toNanos(30));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        ends[1].wakeup();
        assertEquals(0, got.get(10, TimeUnit.SECONDS));
    }

    @Test
    void fullQueueAndOversizedPacketsAreDroppedAndCounted() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(100, 2);
        ends[0].send(packet(0, 10));
        ends[0].send(packet(0, 10));
        ends[0].send(packet(0, 10));
        ends[0].send(packet(0, 101));
        assertEquals(2, ends[0].sendDrops());
        assertEquals(2, ends[1].receive(new PacketBatch(8, 100, false), 0));
    }

    @Test
    void closeEndsAWaitingReceive() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 4);
        CompletableFuture<Integer> got = CompletableFuture.supplyAsync(() -> {
            try {
                return ends[1].receive(new PacketBatch(4, 1500, false), TimeUnit.SECONDS.toNanos(30));
            } catch (ClosedChannelException e) {
                return -1;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        ends[1].close();
        assertEquals(-1, got.get(10, TimeUnit.SECONDS));
        assertThrows(ClosedChannelException.class, () -> ends[1].send(packet(0, 5)));
    }
}
