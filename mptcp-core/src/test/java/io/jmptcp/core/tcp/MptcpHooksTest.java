package io.jmptcp.core.tcp;

import io.jmptcp.core.mib.TcpMib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.TcpPair;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hooks the MPTCP layer needs, exercised with a trivial stand-in: each chunk is tagged with its
 * index, the option hook writes the tag into a kind-30 option on every segment carrying the chunk,
 * and the receiver checks that every segment lies inside the chunk its option names.
 */
class MptcpHooksTest {
    static final int CHUNKS = 3000;
    /**
     * The tag travels in an experimental option (RFC 4727 kind 253): the simulator carries real
     * packets, and a kind-30 option would be decoded as MPTCP, not handed back as written.
     */
    static final int TAG_KIND = 253;

    @Test
    void chunksTagsOptionsAndWindowOverride() {
        TcpConfig cfg = new TcpConfig().timeWaitMicros(1_000_000);
        Link.Config l = new Link.Config().rate(50_000_000L).delay(5_000).loss(0.01).reorder(0.02, 4);
        TcpPair p = new TcpPair(cfg, cfg, l, l, 77);
        TcpConnection client = p.client.connection();
        TcpConnection server = p.server.connection();

        // Chunk boundaries in relative sequence numbers: chunk i is [starts[i], starts[i+1]).
        SplittableRandom rnd = new SplittableRandom(5);
        long[] starts = new long[CHUNKS + 1];
        starts[0] = 1;
        for (int i = 0; i < CHUNKS; i++) {
            starts[i + 1] = starts[i] + 1 + rnd.nextInt(5000);
        }
        long total = starts[CHUNKS] - 1;

        // (a) outgoing options: the tag goes into a 6-byte option within the budget.
        List<String> violations = new ArrayList<>();
        int[] minBudget = {Integer.MAX_VALUE};
        client.setOptionWriter((flags, relSeq, len, tag, budget, out) -> {
            minBudget[0] = Math.min(minBudget[0], budget);
            if (len > 0) {
                int t = (Integer) tag;
                out.add(new TcpOption.Unknown(TAG_KIND, ByteBuffer.allocate(4).putInt(t).array()));
            }
        }, 8);

        // (b) inbound observer on the receiver: options with the TCP verdict.
        long[] accepted = {0};
        server.setInboundObserver((seg, r) -> {
            if (seg.length() == 0 || r.verdict() != InboundResult.Verdict.ACCEPTED) {
                return;
            }
            accepted[0]++;
            TcpOption.Unknown opt = null;
            for (TcpOption o : seg.header().options()) {
                if (o instanceof TcpOption.Unknown u && u.kind() == TAG_KIND) {
                    opt = u;
                }
            }
            if (opt == null) {
                violations.add("data segment without the hook's option at " + r.relativeSeq());
                return;
            }
            int tag = ByteBuffer.wrap(opt.data()).getInt();
            if (r.relativeSeq() < starts[tag] || r.relativeSeq() + seg.length() > starts[tag + 1]) {
                violations.add("segment " + r.relativeSeq() + "+" + seg.length() + " crosses chunk " + tag);
            }
        });

        // (e) the connection level advertises its own window (here a fixed 48 kB).
        server.setReceiveWindowProvider(own -> Math.min(own, 48_000));
        long[] maxWindow = {0};
        int[] maxOptions = {0};
        p.ba.tap = pk -> {
            if (!pk.segment().header().has(TcpHeader.SYN)) {
                maxWindow[0] = Math.max(maxWindow[0], (long) pk.segment().header().window() << server.receiveWindowScale());
            }
        };
        p.ab.tap = pk -> {
            maxOptions[0] = Math.max(maxOptions[0], pk.segment().optionsLength());
            if (pk.segment().length() + pk.segment().optionsLength() > client.sendMss()) {
                violations.add("segment exceeds the MSS: " + pk.segment());
            }
        };

        // (c) chunked sends and (f) sendable bytes; (d) chunked reads with sequence numbers.
        long[] nextChunk = {0};
        long[] sendableSeen = {0};
        p.client.setApp((c, now) -> {
            boolean changed = false;
            if (c.state() == TcpState.ESTABLISHED) {
                sendableSeen[0] = Math.max(sendableSeen[0], c.sendableBytes());
                while (nextChunk[0] < CHUNKS) {
                    int i = (int) nextChunk[0];
                    int len = (int) (starts[i + 1] - starts[i]);
                    if (c.sendBufferSpace() < len) {
                        break;
                    }
                    assertEquals(len, c.sendChunk(new byte[len], i));
                    nextChunk[0]++;
                    changed = true;
                }
                if (nextChunk[0] == CHUNKS) {
                    c.close();
                    nextChunk[0]++;
                }
            }
            return changed;
        });
        long[] expectSeq = {1};
        p.server.setApp((c, now) -> {
            boolean changed = false;
            RecvChunk rc;
            while ((rc = c.readChunk(Integer.MAX_VALUE)) != null) {
                if (rc.relativeSeq() != expectSeq[0]) {
                    violations.add("read chunk at " + rc.relativeSeq() + ", expected " + expectSeq[0]);
                }
                expectSeq[0] += rc.length();
                changed = true;
            }
            if (c.state() == TcpState.CLOSE_WAIT) {
                c.close();
                changed = true;
            }
            return changed;
        });
        p.client.step();
        boolean done = p.sim.runUntil(() -> expectSeq[0] == total + 1 && server.state() == TcpState.CLOSED, 600_000_000L);
        assertTrue(done, "transfer finished: " + client + " / " + server + " " + p.clientMib);
        assertTrue(violations.isEmpty(), violations.subList(0, Math.min(10, violations.size())).toString());
        assertTrue(accepted[0] > CHUNKS, "every chunk seen");
        assertTrue(maxWindow[0] <= 48_000 && maxWindow[0] > 40_000, "window overridden: " + maxWindow[0]);
        assertTrue(maxOptions[0] <= TcpHeader.MAX_OPTIONS_LENGTH);
        assertEquals(client.sendMss() - 12 - 8, client.effectiveMss(), "payload reduced by timestamps and reserve");
        assertTrue(sendableSeen[0] > 0);
        assertTrue(minBudget[0] >= 8, "the reserved space was always offered: " + minBudget[0]);
        assertTrue(p.clientMib.get(TcpMib.RETRANS_SEGS) > 0, "retransmissions kept the chunk boundaries too");
    }

}
