package io.jmptcp.core.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.sched.Decision;
import io.jmptcp.core.wire.PacketParse;
import org.junit.jupiter.api.Test;

/**
 * Each JMH benchmark's body once, outside JMH, so that a change that breaks one (or makes it
 * measure a failure path) fails the build rather than the next benchmark run.
 */
class BenchmarksRunTest {
    @Test
    void theChecksumBenchmarksAgreeAndTheDssDiffers() {
        for (int len : new int[] {1460, 65483}) {
            ChecksumBenchmark b = new ChecksumBenchmark();
            b.length = len;
            b.fill();
            assertEquals(b.internetHeap(), b.internetDirect());
            assertTrue(b.dss() != b.internetHeap());
        }
    }

    @Test
    void theCodecBenchmarkParsesAValidPacketAndEmitsTheSameBytes() throws Exception {
        CodecBenchmark b = new CodecBenchmark();
        b.build();
        PacketParse p = b.parse();
        assertTrue(p instanceof PacketParse.Tcp t && t.ipChecksumValid() && t.tcpChecksumValid() && t.payloadLength() == 1400,
                p::toString);
        assertEquals(20 + 20 + 12 + 28 + 1400, b.emit());
    }

    @Test
    void theReassemblyBenchmarkReadsEveryByteInBothOrders() {
        for (String order : new String[] {"inorder", "shuffled"}) {
            ReassemblyBenchmark b = new ReassemblyBenchmark();
            b.order = order;
            b.plan();
            assertEquals((long) ReassemblyBenchmark.SEGMENTS * ReassemblyBenchmark.MSS, b.receiveAndRead());
        }
    }

    @Test
    void everySchedulerDecidesToSend() {
        for (String s : new String[] {"minrtt", "roundrobin", "redundant", "blest", "ecf"}) {
            for (int n : new int[] {2, 8}) {
                SchedulerBenchmark b = new SchedulerBenchmark();
                b.scheduler = s;
                b.subflows = n;
                b.build();
                Decision d = b.send();
                assertFalse(d.isWait(), s + " over " + n + " subflows waits");
            }
        }
    }
}
