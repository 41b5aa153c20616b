package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReceiveMappingsTest {
    private final List<long[]> got = new ArrayList<>(); // {dsn, len, firstByte}

    private ReceiveMappings.Sink sink() {
        return (dsn, data, off, len) -> got.add(new long[] {dsn, len, data[off]});
    }

    private static byte[] bytes(int n, int first) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (first + i);
        }
        return b;
    }

    @Test
    void splitsBytesAcrossMappings() {
        ReceiveMappings m = new ReceiveMappings();
        assertTrue(m.add(1000, 1, 4, false));
        assertTrue(m.add(5000, 5, 4, false));
        assertEquals(ReceiveMappings.Status.OK, m.deliver(bytes(8, 0), 0, 8, sink()));
        assertEquals(2, got.size());
        assertEquals(List.of(1000L, 4L, 0L), List.of(got.get(0)[0], got.get(0)[1], got.get(0)[2]));
        assertEquals(List.of(5000L, 4L, 4L), List.of(got.get(1)[0], got.get(1)[1], got.get(1)[2]));
        assertEquals(0, m.pending());
    }

    @Test
    void repeatedIdenticalMappingIsAbsorbedAndPartialDeliveryContinues() {
        ReceiveMappings m = new ReceiveMappings();
        m.add(1000, 1, 10, false);
        m.deliver(bytes(4, 0), 0, 4, sink());
        assertTrue(m.add(1000, 1, 10, false), "Linux repeats the mapping on each segment of a burst");
        m.deliver(bytes(6, 4), 0, 6, sink());
        assertEquals(1004, got.get(1)[0]);
        assertEquals(6, got.get(1)[1]);
    }

    @Test
    void conflictingMappingIsRejected() {
        ReceiveMappings m = new ReceiveMappings();
        m.add(1000, 1, 10, false);
        assertFalse(m.add(2000, 5, 10, false), "bytes 5..10 cannot map to two DSNs");
    }

    @Test
    void unmappedBytesAreReported() {
        ReceiveMappings m = new ReceiveMappings();
        m.add(1000, 5, 4, false);
        assertEquals(ReceiveMappings.Status.NO_MAPPING, m.deliver(bytes(8, 0), 0, 8, sink()));
        assertEquals(4, m.unmappedBytes());
        assertEquals(1, got.size());
        assertEquals(1000, got.get(0)[0]);
    }

    @Test
    void dataFinByteIsNotSubflowData() {
        ReceiveMappings m = new ReceiveMappings();
        m.add(1000, 1, 5, true); // 4 data bytes + DATA_FIN
        assertEquals(ReceiveMappings.Status.OK, m.deliver(bytes(4, 0), 0, 4, sink()));
        assertEquals(0, m.pending());
    }

    @Test
    void infiniteMappingMapsEverythingAfterIt() {
        ReceiveMappings m = new ReceiveMappings();
        m.add(1000, 1, 0, false);
        assertTrue(m.infinite());
        m.deliver(bytes(100, 0), 0, 100, sink());
        m.deliver(bytes(10, 0), 0, 10, sink());
        assertEquals(1100, got.get(1)[0]);
    }

    @Test
    void relativeSsnWrapsOnLongSubflows() {
        ReceiveMappings m = new ReceiveMappings();
        // Map and deliver 4 GiB in 1 GiB mappings, then cross the 2^32 boundary of the relative SSN.
        long dsn = 0;
        int step = 1 << 30;
        byte[] chunk = new byte[1 << 24];
        for (int i = 0; i < 4; i++) {
            assertTrue(m.add(dsn, (int) (1 + (long) i * step), step, false));
            for (int j = 0; j < step / chunk.length; j++) {
                m.deliver(chunk, 0, chunk.length, (d, b, o, l) -> { });
            }
            dsn += step;
        }
        // Position is now 2^32 + 1: the wire SSN is 1 again.
        assertTrue(m.add(dsn, 1, 8, false));
        got.clear();
        assertEquals(ReceiveMappings.Status.OK, m.deliver(bytes(8, 0), 0, 8, sink()));
        assertEquals(dsn, got.get(0)[0]);
    }

    @Test
    void checksummedMappingIsHeldUntilCompleteThenVerified() {
        byte[] data = bytes(12, 'a');
        long dsn = 0xf5a101d3d29d6f73L;
        int csum = io.jmptcp.core.wire.Checksum.dss(dsn, 1, 12, java.nio.ByteBuffer.wrap(data), 0, 12);
        ReceiveMappings m = new ReceiveMappings();
        assertTrue(m.add(dsn, 1, 12, false, true, csum));
        // A mapping spread over two segments: nothing is delivered before the whole mapping is in.
        assertEquals(ReceiveMappings.Status.OK, m.deliver(data, 0, 5, sink()));
        assertTrue(got.isEmpty());
        assertEquals(ReceiveMappings.Status.OK, m.deliver(data, 5, 7, sink()));
        assertEquals(1, got.size());
        assertEquals(List.of(dsn, 12L, (long) 'a'), List.of(got.get(0)[0], got.get(0)[1], got.get(0)[2]));
        assertEquals(1, m.verifiedMappings());
    }

    @Test
    void badChecksumDiscardsTheMapping() {
        byte[] data = bytes(12, 'a');
        int csum = io.jmptcp.core.wire.Checksum.dss(5000, 1, 12, java.nio.ByteBuffer.wrap(data), 0, 12);
        data[3] ^= 1;
        ReceiveMappings m = new ReceiveMappings();
        assertTrue(m.add(5000, 1, 12, false, true, csum));
        assertEquals(ReceiveMappings.Status.CHECKSUM_FAILED, m.deliver(data, 0, 12, sink()));
        assertTrue(got.isEmpty());
        assertEquals(5000, m.failedDsn());
    }

    @Test
    void coversAndFallbackContinueTheLastMapping() {
        ReceiveMappings m = new ReceiveMappings();
        assertTrue(m.add(1000, 1, 4, false));
        assertTrue(m.covers(1, 4));
        assertFalse(m.covers(1, 5));
        assertEquals(ReceiveMappings.Status.OK, m.deliver(bytes(4, 0), 0, 4, sink()));
        assertFalse(m.covers(5, 4));
        m.fallback(77); // the last mapping's relation wins over the default
        assertTrue(m.covers(5, 4));
        assertEquals(ReceiveMappings.Status.OK, m.deliver(bytes(4, 4), 0, 4, sink()));
        assertEquals(1004L, got.get(1)[0]);
    }

    @Test
    void fallbackWithoutAnyMappingUsesTheDefault() {
        ReceiveMappings m = new ReceiveMappings();
        m.fallback(99);
        assertEquals(ReceiveMappings.Status.OK, m.deliver(bytes(3, 0), 0, 3, sink()));
        assertEquals(100L, got.get(0)[0]); // SSN 1 + 99
    }
}
