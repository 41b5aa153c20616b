package io.jmptcp.core.tcp;

import io.jmptcp.core.mib.TcpMib;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.sim.BulkApp;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.TcpPair;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * 32 MiB each way through the simulator under every condition issue 3 lists, checked with SHA-256
 * over both byte streams.
 */
class IntegrityTest {
    static final long SIZE = 32L << 20;

    static TcpPair pair(TcpConfig cfg, Link.Config ab, Link.Config ba, long seed) {
        return new TcpPair(cfg, cfg.copy(), ab, ba, seed);
    }

    static TcpPair.Result transfer(String name, TcpPair p, long seed, BulkApp serverApp, Consumer<TcpPair> setup) {
        BulkApp c = new BulkApp(SIZE, seed * 2 + 11);
        BulkApp s = serverApp != null ? serverApp : new BulkApp(SIZE, seed * 2 + 12);
        if (setup != null) {
            setup.accept(p);
        }
        if (System.getProperty("jmptcp.simProgress") != null) {
            progress(p);
        }
        TcpPair.Result r = p.run(c, s, 900_000_000L);
        String info = name + ": " + r + "\n  client=" + p.client.connection() + "\n  server=" + p.server.connection()
                + "\n  clientMib=" + p.clientMib + "\n  serverMib=" + p.serverMib
                + "\n  c.recv=" + c.received() + " s.recv=" + s.received();
        System.out.println(info);
        assertTrue(r.completed(), "transfer did not complete: " + info);
        assertEquals(SIZE, s.received(), info);
        assertEquals(SIZE, c.received(), info);
        assertArrayEquals(c.sentDigest(), s.receivedDigest(), "client->server SHA-256 differs");
        assertArrayEquals(s.sentDigest(), c.receivedDigest(), "server->client SHA-256 differs");
        return r;
    }

    /** Debug aid: prints both engines' state every simulated second. */
    static void progress(TcpPair p) {
        p.sim.schedule(1_000_000, new Runnable() {
            @Override
            public void run() {
                System.out.println("t=" + p.sim.now() + " c=" + p.client.connection() + " s=" + p.server.connection());
                p.sim.after(1_000_000, this);
            }
        });
    }

    static Link.Config link() {
        return new Link.Config().rate(100_000_000L).delay(10_000).queue(1000);
    }

    static TcpConfig cfg() {
        return new TcpConfig().timeWaitMicros(1_000_000);
    }

    @Test
    void cleanLink() {
        TcpPair p = pair(cfg(), link(), link(), 1);
        transfer("clean", p, 1, null, null);
        assertEquals(0, p.ab.droppedLoss + p.ba.droppedLoss, "no random loss configured");
    }

    @Test
    void onePercentLoss() {
        TcpPair p = pair(cfg(), link().loss(0.01), link().loss(0.01), 2);
        transfer("loss1", p, 2, null, null);
        assertTrue(p.ab.droppedLoss > 100 && p.ba.droppedLoss > 100, "the link really lost packets");
        assertTrue(p.clientMib.get(TcpMib.SACK_RECOVERY) > 0);
        // One connection per MIB: its own retransmission count (for introspection) is the MIB's.
        assertTrue(p.client.connection().retransmittedSegments() > 0);
        assertEquals(p.clientMib.get(TcpMib.RETRANS_SEGS), p.client.connection().retransmittedSegments());
    }

    @Test
    void fivePercentLoss() {
        TcpPair p = pair(cfg(), link().loss(0.05), link().loss(0.05), 3);
        transfer("loss5", p, 3, null, null);
        assertTrue(p.ab.droppedLoss > 500 && p.ba.droppedLoss > 500, "the link really lost packets");
    }

    @Test
    void tenPercentReorderedByMoreThanThreeSegments() {
        // A reordered packet is overtaken by 5 later packets (more than 3: beyond dupthresh).
        TcpPair p = pair(cfg(), link().reorder(0.10, 5), link().reorder(0.10, 5), 4);
        transfer("reorder10", p, 4, null, null);
        assertTrue(p.ab.reordered > 1000 && p.ba.reordered > 1000, "the link really reordered");
        assertTrue(p.clientMib.get(TcpMib.OFO_QUEUED) > 1000);
    }

    @Test
    void onePercentDuplication() {
        TcpPair p = pair(cfg(), link().duplicate(0.01), link().duplicate(0.01), 5);
        transfer("dup1", p, 5, null, null);
        assertTrue(p.ab.duplicated > 100, "the link really duplicated");
        assertTrue(p.serverMib.get(TcpMib.DUP_DATA_RECEIVED) > 0, "duplicates were noticed (D-SACK)");
    }

    @Test
    void longFatPipeNeedsWindowScaling() {
        // 200 ms RTT at 100 Mbit/s: the bandwidth-delay product is 2.5 MB, far beyond 65535.
        TcpConfig c = cfg().receiveBuffer(8 << 20).sendBuffer(8 << 20);
        Link.Config l = new Link.Config().rate(100_000_000L).delay(100_000).queue(2000);
        TcpPair p = pair(c, l, l, 6);
        long[] maxFlight = {0};
        p.ab.tap = pk -> maxFlight[0] = Math.max(maxFlight[0], p.client.connection().unacknowledged());
        TcpPair.Result r = transfer("lfn", p, 6, null, null);
        assertTrue(p.client.connection().sendWindowScale() > 0 && p.server.connection().sendWindowScale() > 0);
        assertTrue(maxFlight[0] > 1_000_000, "more than 1 MB in flight, impossible without scaling: " + maxFlight[0]);
        // 32 MiB at 100 Mbit/s is 2.7 s; unscaled (64 KiB per 200 ms) it would take 100 s.
        assertTrue(r.clientToServerDone() < 15_000_000L, "took " + r.clientToServerDone());
    }

    @Test
    void slowReaderZeroWindow() {
        // The reader takes 44 full segments every 20 ms (3.2 MB/s, a quarter of the link rate) and
        // stops for one second at t = 2 s; the buffer is a whole number of segments, so the sender
        // fills it exactly and the window closes to zero.
        int seg = 1448;
        TcpConfig c = cfg().receiveBuffer(181 * seg);
        TcpPair p = pair(c, link(), link(), 7);
        BulkApp slow = new BulkApp(SIZE, 7 * 2 + 12).slowReader(44 * seg, 20_000).pauseReads(2_000_000, 3_000_000);
        long[] zeroWindows = {0};
        p.ba.tap = pk -> {
            if (pk.segment().header().window() == 0 && !pk.segment().header().has(io.jmptcp.core.wire.TcpHeader.SYN)) {
                zeroWindows[0]++;
            }
        };
        transfer("slowreader", p, 7, slow, null);
        assertTrue(zeroWindows[0] > 0, "the receiver advertised a zero window");
        assertTrue(p.clientMib.get(TcpMib.WINDOW_PROBES) >= 2, "the sender probed the zero window");
    }

    @Test
    void linkDownFiveSecondsMidTransfer() {
        TcpPair p = pair(cfg(), link(), link(), 8);
        transfer("linkdown", p, 8, null, pair -> {
            pair.sim.schedule(1_000_000, () -> {
                pair.ab.setUp(false);
                pair.ba.setUp(false);
            });
            pair.sim.schedule(6_000_000, () -> {
                pair.ab.setUp(true);
                pair.ba.setUp(true);
            });
        });
        assertTrue(p.clientMib.get(TcpMib.RTO_EXPIRED) >= 3, "backed-off RTOs while down");
        assertTrue(p.ab.droppedDown > 0);
    }

    @Test
    void newRenoWithoutSackAtOnePercentLoss() {
        TcpConfig c = cfg().sack(false);
        TcpPair p = pair(c, link().loss(0.01), link().loss(0.01), 9);
        transfer("newreno", p, 9, null, null);
        assertTrue(!p.client.connection().sackEnabled());
        assertTrue(p.clientMib.get(TcpMib.NEWRENO_RECOVERY) > 0);
    }

    @Test
    void withoutTimestampsOrWindowScaling() {
        TcpConfig c = cfg().timestamps(false).windowScaling(false).receiveBuffer(65535);
        TcpPair p = pair(c, link().loss(0.01), link().loss(0.01), 10);
        transfer("plain", p, 10, null, null);
        assertTrue(!p.client.connection().timestampsEnabled());
    }

    @Test
    void sequenceNumbersAndTimestampsWrapAround() {
        // ISNs 1 MiB below 2^32 and timestamp clocks 2 s below their wrap: both wrap mid-transfer.
        TcpConfig c = cfg();
        TcpPair p = new TcpPair(c, c.copy(), link().loss(0.01).reorder(0.02, 4), link().loss(0.01), 11,
                -(1 << 20), -(1 << 20) - 12345, -2000, -1500);
        transfer("wrap", p, 11, null, null);
        assertTrue(p.sim.now() > 2_000_000, "ran past the timestamp wrap");
    }
}
