package io.jmptcp.tun.netem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.runtime.PacketBatch;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The relay loop on an in-memory link, in real time: what goes in comes back after the delay. */
class NetemRelayTest {

    @Test
    void packetsComeBackAfterTheDelayAndStopEndsTheLoop() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 1000);
        long delay = TimeUnit.MILLISECONDS.toNanos(30);
        NetemRelay relay = new NetemRelay(ends[0], new LinkEmulator(LinkEmulator.Config.none().withDelay(delay, 0), 1500));
        Thread t = new Thread(relay, "relay");
        t.start();
        PacketBatch batch = new PacketBatch(16, 1500, false);
        ByteBuffer p = ByteBuffer.allocate(40);
        for (int i = 0; i < 5; i++) {
            long sent = System.nanoTime();
            ends[1].send(p.putInt(0, i));
            batch.clear();
            long deadline = sent + TimeUnit.SECONDS.toNanos(5);
            while (batch.size() == 0 && System.nanoTime() < deadline) {
                ends[1].receive(batch, deadline - System.nanoTime());
            }
            long elapsed = System.nanoTime() - sent;
            assertEquals(1, batch.size(), "packet " + i + " came back");
            assertEquals(i, batch.get(0).getInt(0));
            assertTrue(elapsed >= delay, "back after " + elapsed / 1e6 + " ms, before the 30 ms delay");
        }
        relay.stop();
        t.join(5_000);
        assertTrue(!t.isAlive(), "stop() ends run()");
        assertEquals(5, relay.relayed());
    }
}
