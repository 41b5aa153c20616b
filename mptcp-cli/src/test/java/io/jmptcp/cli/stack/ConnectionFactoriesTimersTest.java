package io.jmptcp.cli.stack;

import static io.jmptcp.cli.stack.ConnectionFactoriesLimitsTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.tcp.TcpConfig;
import org.junit.jupiter.api.Test;

/** --tcp-retries, --rto-max and --keepalive reach every subflow's TCP settings. */
class ConnectionFactoriesTimersTest {
    @Test
    void defaultsAreLinuxs() {
        TcpConfig t = ConnectionFactories.mptcpConfig(parse("--address", "10.3.1.1")).tcp;
        assertEquals(15, t.maxRetries);
        assertEquals(120_000_000L, t.maxRtoMicros);
        assertFalse(t.keepalive);
    }

    @Test
    void theOptionsReachTheSubflows() {
        MptcpConfig c = ConnectionFactories.mptcpConfig(parse("--address", "10.3.1.1", "--tcp-retries", "5",
                "--rto-max", "2000", "--keepalive", "5,1,3"));
        assertEquals(5, c.tcp.maxRetries);
        assertEquals(2_000_000L, c.tcp.maxRtoMicros);
        assertTrue(c.tcp.keepalive);
        assertEquals(5_000_000L, c.tcp.keepaliveIdleMicros);
        assertEquals(1_000_000L, c.tcp.keepaliveIntervalMicros);
        assertEquals(3, c.tcp.keepaliveProbes);
    }

    @Test
    void badValuesAreUsageErrors() {
        for (String[] bad : new String[][] {{"--tcp-retries", "0"}, {"--rto-max", "10"}, {"--keepalive", "5,1"},
                {"--keepalive", "5,x,3"}, {"--keepalive", "0,1,3"}, {"--keepalive", "5,1,500"}}) {
            StackOptions o = parse("--address", "10.3.1.1", bad[0], bad[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
    }
}
