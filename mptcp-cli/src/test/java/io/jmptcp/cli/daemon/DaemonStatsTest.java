package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The daemon's counters: a fixed set of names (the metrics endpoint registers each), and snapshots. */
class DaemonStatsTest {
    @Test
    void onlyKnownNamesCountAndSnapshotsShowWhatWasCounted() {
        DaemonStats s = new DaemonStats();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.inc("socks_typo_total"));
        assertTrue(e.getMessage().contains("socks_typo_total"), e.getMessage());
        assertEquals(Map.of(), s.counters(), "nothing counted, nothing shown");
        s.inc("relays_opened_total");
        s.inc("relays_opened_total");
        s.inc("relays_closed_total");
        s.add("bytes_up_total", 10);
        assertEquals(1, s.relaysActive());
        assertEquals(Map.of("relays_opened_total", 2L, "relays_closed_total", 1L, "bytes_up_total", 10L), s.counters());
        assertEquals(0, s.get("bytes_down_total"));
        s.reject("bad_version");
        assertEquals(Map.of("bad_version", 1L), s.rejections());
    }
}
